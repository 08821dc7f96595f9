import type { Duplex } from 'node:stream';
import { buildConnector, type Dispatcher } from 'undici';

/** What the sink judges an answer by. */
export interface HttpAnswer {
  status: number;
  retryAfter: string | null;
}

/**
 * One request handed to undici with {@link HttpExchange.send}: a handler that keeps only the
 * answer's status and `Retry-After`, with no response stream; the body is read and thrown away.
 * A body longer than `bodyLimit` bytes is not read to its end: the answer counts, and the
 * connection is closed.
 */
export class HttpExchange implements Dispatcher.DispatchHandler {
  /** The answer, once its body is read (or cut off); rejects with what ended the request. */
  readonly answer: Promise<HttpAnswer>;
  #resolve!: (answer: HttpAnswer) => void;
  #reject!: (error: Error) => void;
  #controller: Dispatcher.DispatchController | null = null;
  #given: Error | null = null;
  #settled = false;
  #status = 0;
  #retryAfter: string | null = null;
  #received = 0;
  readonly #bodyLimit: number;

  private constructor(bodyLimit: number) {
    this.#bodyLimit = bodyLimit;
    this.answer = new Promise<HttpAnswer>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Sends one request through `dispatcher`. */
  static send(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, bodyLimit: number): HttpExchange {
    const exchange = new HttpExchange(bodyLimit);
    dispatcher.dispatch(options, exchange);
    return exchange;
  }

  /** Gives the request up: `answer` rejects with `reason` now, and what undici still holds is aborted. */
  abort(reason: Error): void {
    this.#given ??= reason;
    this.#finish(reason);
    this.#controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Called again when undici sends the request once more on another connection.
    this.#controller = controller;
    this.#status = 0;
    this.#received = 0;
    if (this.#given) controller.abort(this.#given);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (status < 200) return; // informational: the answer follows
    const retryAfter = headers['retry-after'];
    this.#status = status;
    this.#retryAfter = typeof retryAfter === 'string' ? retryAfter : null;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#received += chunk.length;
    if (this.#received <= this.#bodyLimit) return;
    this.#finish(null);
    controller.abort(new Error(`answer body over ${this.#bodyLimit} bytes`));
  }

  onResponseEnd(): void {
    this.#finish(null);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.#finish(error);
  }

  #finish(error: Error | null): void {
    if (this.#settled) return;
    this.#settled = true;
    if (error === null && this.#status !== 0) {
      this.#resolve({ status: this.#status, retryAfter: this.#retryAfter });
    } else this.#reject(error ?? new Error('the connection ended without an answer'));
  }
}

/**
 * undici's connector (`buildConnector` with `options`), with the writes of each connection held
 * for the rest of the tick and sent together. undici writes every request as its own system call;
 * the requests a batch of answers releases onto one connection are dispatched in the same run of
 * microtasks, so they leave in one `writev` instead. A write finds the connection corked (once,
 * over undici's own cork around head and body) and `process.nextTick` uncorks it, which runs after
 * the microtasks that are queued then: a lone request still goes out at once. A connection closed
 * while held drops the held bytes as it would drop bytes sent and unanswered: undici fails the
 * request it was answering and sends the rest again on another connection.
 */
export function holdingConnector(options: buildConnector.BuildOptions): buildConnector.connector {
  const connect = buildConnector(options);
  return (target, callback) => {
    connect(target, (...result) => {
      if (result[1]) holdWrites(result[1]); // undici passes the error alone, no null
      callback(...result);
    });
  };
}

function holdWrites(socket: Duplex): void {
  const write = socket.write;
  let held = false;
  const release = () => {
    held = false;
    socket.uncork();
  };
  socket.write = function (this: Duplex, ...args: Parameters<Duplex['write']>): boolean {
    if (!held) {
      held = true;
      this.cork();
      process.nextTick(release);
    }
    return write.apply(this, args);
  } as Duplex['write'];
}
