import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { type AnswerReader, createAnswerReader, type HttpAnswer } from './http-answer.js';

/** Where a connection goes. */
export interface HttpOrigin {
  host: string;
  port: number;
  secure: boolean;
  /** Longest a connection stays open unused, ms: below the usual server keep-alive (Node: 5 s). */
  idleMs?: number;
}

/** One request on its way: queued by the pool, then carried by a connection until answered. */
export interface HttpRequest {
  /** The request's bytes (request line, headers, empty line, body). */
  payload: string;
  timeoutMs: number;
  /**
   * It goes again, after a connection closed before answering it: it must go alone on a new
   * connection, where no answer is the endpoint's failure (so it is sent again at most once).
   */
  resent: boolean;
  resolve(answer: HttpAnswer): void;
  reject(error: Error): void;
}

/** What a connection tells its pool. */
export interface ConnectionEvents {
  /** Answers came: the connection has room again (when still `usable`). */
  answered(connection: HttpConnection): void;
  /**
   * The connection is closed. `resend`: requests it carried that got no answer and may go again on
   * another connection (RFC 9112 §9.3.2). `refusedPipelining`: the server answered a request and
   * then dropped the one pipelined behind it without saying it would close, or left that one
   * unanswered until its timeout: a server that does not take pipelined requests.
   */
  closed(connection: HttpConnection, resend: HttpRequest[], refusedPipelining: boolean): void;
}

/** A keep-alive HTTP/1.1 connection carrying requests in order, several at once when pipelined. */
export interface HttpConnection {
  /** Requests written and not answered yet. */
  readonly load: number;
  /** Open (or opening) and not about to close: it may take a request. */
  readonly usable: boolean;
  /** Writes a request after those in flight; before the connection is up, it waits in the socket. */
  write(request: HttpRequest): void;
  /** Closes the connection; what it carries fails with `reason`, not sent again. */
  destroy(reason: Error): void;
}

/** The connection closed before a byte of the answer came. */
export class ClosedBeforeAnswer extends Error {
  override name = 'ClosedBeforeAnswer';
}

interface InFlight {
  request: HttpRequest;
  timer: ReturnType<typeof setTimeout>;
  /** Written while an earlier request was still unanswered (pipelined). */
  behind: boolean;
  /** Answers the connection had given when this request was written (> 0: a reused connection). */
  answeredBefore: number;
}

/**
 * Opens a connection. Answers are read for their status and framing only (http-answer.ts); they
 * come back in the order of the requests (RFC 9112 §9.3.2), so the oldest request in flight owns
 * the next answer, and bytes after one answer start the next. A request that gets no answer
 * because the server closed a reused connection (the keep-alive race) or because it was pipelined
 * behind one that ended the connection is handed back to the pool to send again, once.
 */
export function openHttpConnection(origin: HttpOrigin, events: ConnectionEvents): HttpConnection {
  const { host, port, secure, idleMs = 4_000 } = origin;
  const socket: Socket = secure
    ? connectTls({ host, port, servername: isIp(host) ? '' : host, ALPNProtocols: ['http/1.1'] })
    : connectTcp({ host, port, noDelay: true });
  const inFlight: InFlight[] = [];
  let reader: AnswerReader = createAnswerReader();
  let connected = false;
  let closing = false;
  // The server said it closes (Connection: close, or a body that runs until the close).
  let announced = false;
  // Closed by this side, for a timeout or by `destroy`: the reader's state is not the next answer's.
  let cut = false;
  let refusedPipelining = false;
  let answered = 0;
  let failure: Error | null = null;

  const connection: HttpConnection = {
    get load() {
      return inFlight.length;
    },
    get usable() {
      return !closing;
    },
    write(request) {
      socket.setTimeout(0);
      socket.ref();
      const entry: InFlight = {
        request,
        behind: inFlight.length > 0,
        answeredBefore: answered,
        timer: setTimeout(() => expire(entry), request.timeoutMs),
      };
      inFlight.push(entry);
      socket.write(request.payload);
    },
    destroy(reason) {
      closing = true;
      cut = true;
      for (const entry of inFlight.splice(0)) {
        clearTimeout(entry.timer);
        entry.request.reject(reason);
      }
      socket.destroy();
    },
  };

  socket.once(secure ? 'secureConnect' : 'connect', () => {
    connected = true;
    if (secure) socket.setNoDelay(true);
  });
  socket.on('data', onData);
  socket.on('error', (error) => {
    failure ??= error; // 'close' follows and says it
  });
  socket.on('timeout', () => {
    closing = true; // idle too long
    socket.destroy();
  });
  socket.on('close', onClose);

  function expire(entry: InFlight): void {
    const at = inFlight.indexOf(entry);
    if (at < 0) return;
    inFlight.splice(at, 1);
    // Pipelined behind an answered request and never answered: the server may have dropped it.
    if (entry.behind && at === 0) refusedPipelining = true;
    closing = true;
    cut = true;
    socket.destroy();
    const { timeoutMs } = entry.request;
    entry.request.reject(
      new Error(connected ? `no answer within ${timeoutMs} ms` : `no connection within ${timeoutMs} ms`),
    );
  }

  function fail(error: Error): void {
    const entry = inFlight.shift();
    if (entry) {
      clearTimeout(entry.timer);
      entry.request.reject(error);
    }
    closing = true;
    cut = true;
    socket.destroy();
  }

  function onData(chunk: Buffer): void {
    let data: Buffer | null = chunk;
    let any = false;
    while (data) {
      const entry = inFlight[0];
      if (!entry) {
        closing = true; // an answer nobody asked for: the connection is not to be trusted
        cut = true;
        socket.destroy();
        return;
      }
      let answer: HttpAnswer | null;
      try {
        answer = reader.push(data);
      } catch (error) {
        fail(error as Error);
        return;
      }
      if (!answer) return;
      data = reader.rest;
      reader = createAnswerReader();
      inFlight.shift();
      clearTimeout(entry.timer);
      answered++;
      any = true;
      entry.request.resolve(answer);
      if (answer.close) {
        closing = true;
        announced = true;
        socket.destroy();
        return;
      }
    }
    if (inFlight.length === 0) {
      socket.setTimeout(idleMs);
      socket.unref();
    }
    if (any) events.answered(connection);
  }

  function onClose(): void {
    closing = true;
    const left = inFlight.splice(0);
    for (const entry of left) clearTimeout(entry.timer);
    if (!connected) {
      // Nothing reached the server: every request fails with why (ECONNREFUSED: unreachable).
      const error = failure ?? new ClosedBeforeAnswer('the connection closed before it was up');
      for (const { request } of left) request.reject(error);
      events.closed(connection, [], false);
      return;
    }
    let from = 0;
    if (!cut && left[0]) {
      const last = reader.end();
      if (last) {
        announced = true;
        left[0].request.resolve(last);
        from = 1;
      } else if (reader.started) {
        left[0].request.reject(new Error('the connection closed in the middle of the answer'));
        from = 1;
      }
    }
    const first = left[from];
    if (first && from === 0 && first.behind && !cut && !announced) refusedPipelining = true;
    const resend: HttpRequest[] = [];
    for (const entry of left.slice(from)) {
      const { request } = entry;
      if (!request.resent && (entry.behind || entry.answeredBefore > 0)) resend.push(request);
      else request.reject(new ClosedBeforeAnswer('the connection closed before the answer'));
    }
    events.closed(connection, resend, refusedPipelining);
  }

  return connection;
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
