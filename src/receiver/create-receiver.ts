import type { AnyEvent, CallbackQuery, Command, EventOf } from '../protocol/index.js';
import { answerHeaders, OK_RESULT, type ReceiveResult, refusalResult } from './answer.js';
import { isReceiverError, ReceiverError } from './errors.js';
import { type ReceiverOptions, type ResolvedReceiverOptions, resolveReceiverOptions } from './options.js';
import { readBodyText } from './read-body.js';
import { readEvent } from './read-event.js';
import { querySearchOf, readQuery } from './read-query.js';
import { createQueryVerifier } from './verify-query.js';

/** A handler of events of one kind; the callback is answered once every handler has settled. */
export type Handler<E> = (event: E) => unknown;

/** Told of every refused callback and every failing handler. `event` is set when one was parsed. */
export type ErrorHandler = (error: ReceiverError, event: AnyEvent | null) => void;

/** What {@link createReceiver} returns. */
export interface Receiver {
  /** Handles one command (or several) with its typed event. */
  on<C extends Command>(command: C | readonly C[], handler: Handler<EventOf<C>>): void;
  /** Handles every accepted callback, known command or not. */
  onAny(handler: Handler<AnyEvent>): void;
  /** Hears every refusal and handler failure. An error thrown here is logged, not rethrown. */
  onError(handler: ErrorHandler): void;
  /** The whole pipeline on plain data: verify the URL, then parse, validate and dispatch the body. */
  receive(input: { query: URLSearchParams | string; rawBody: string }): Promise<ReceiveResult>;
  /**
   * Step one, for adapters: check the URL before reading any of the body. Takes the search params,
   * or the query string (without `?`), which is faster.
   */
  verifyQuery(params: URLSearchParams | string): CallbackQuery | ReceiverError;
  /** Step two, for adapters: parse, validate and dispatch a body whose URL passed `verifyQuery`. */
  receiveBody(query: CallbackQuery, rawBody: string): Promise<ReceiveResult>;
  /** Answers a refusal an adapter found itself (size, method), telling `onError`. */
  refuse(error: ReceiverError): ReceiveResult;
  /** A web-standard handler: `Request` in, `Response` out. Mount it at your callback path. */
  fetch(request: Request): Promise<Response>;
  readonly options: Readonly<ResolvedReceiverOptions>;
}

/**
 * Creates a callback receiver: it verifies `SdkAppid`, `Sign` and `RequestTime`, limits and parses
 * the body, validates it against its command's schema, runs the handlers, and answers in the Chat
 * envelope (docs/protocol.md §1).
 *
 * @example
 * const receiver = createReceiver({ sdkAppId: 1400000000, tokens: [process.env.TIM_TOKEN!] });
 * receiver.on('Group.CallbackAfterGroupInfoChanged', (event) => console.log(event.body.Name));
 * export default { fetch: receiver.fetch };
 */
export function createReceiver(options: ReceiverOptions): Receiver {
  const resolved = resolveReceiverOptions(options);
  const handlers = new Map<string, Set<Handler<AnyEvent>>>();
  const anyHandlers = new Set<Handler<AnyEvent>>();
  const errorHandlers = new Set<ErrorHandler>();
  const verifyQuery = createQueryVerifier(resolved);

  function notify(error: ReceiverError, event: AnyEvent | null): void {
    if (errorHandlers.size === 0) {
      if (error.code === 'HandlerFailed') resolved.log('[timhook] a callback handler failed', error.cause);
      return;
    }
    for (const handler of errorHandlers) {
      try {
        handler(error, event);
      } catch (thrown) {
        resolved.log('[timhook] an onError handler threw', thrown);
      }
    }
  }

  function refuse(error: ReceiverError, event: AnyEvent | null = null): ReceiveResult {
    notify(error, event);
    return refusalResult(error);
  }

  /**
   * Runs the handlers; waits only when one returned a promise, and then through one `then` (not
   * async functions, whose every `await` is a turn of the microtask queue and a promise more).
   */
  function dispatch(event: AnyEvent): ReceiveResult | Promise<ReceiveResult> {
    const own = handlers.get(event.command);
    const pending: Array<Promise<unknown>> = [];
    const failures: unknown[] = [];
    for (const set of own ? [own, anyHandlers] : [anyHandlers]) {
      for (const handler of set) {
        try {
          const result = handler(event);
          if (result instanceof Promise) pending.push(result);
        } catch (error) {
          failures.push(error);
        }
      }
    }
    if (pending.length === 0) return failures.length > 0 ? answerFailures(event, failures) : OK_RESULT;
    // One handler, as in the recorder: its promise alone, without allSettled's arrays and records.
    if (pending.length === 1 && failures.length === 0) {
      return pending[0]!.then(
        () => OK_RESULT,
        (error: unknown) => answerFailures(event, [error]),
      );
    }
    return Promise.allSettled(pending).then((settled) => {
      for (const one of settled) if (one.status === 'rejected') failures.push(one.reason);
      return failures.length === 0 ? OK_RESULT : answerFailures(event, failures);
    });
  }

  function answerFailures(event: AnyEvent, failures: unknown[]): ReceiveResult {
    // A handler may refuse on purpose (the recorder sheds load with Overloaded); report every
    // failure, answer with the first deliberate refusal or else HandlerFailed.
    let answer: ReceiverError | undefined;
    for (const failure of failures) {
      const error = isReceiverError(failure)
        ? failure
        : new ReceiverError('HandlerFailed', 'a handler failed while processing the callback', {
            cause: failure,
          });
      answer ??= isReceiverError(failure) ? failure : undefined;
      notify(error, event);
    }
    return refusalResult(
      answer ?? new ReceiverError('HandlerFailed', 'a handler failed while processing the callback'),
    );
  }

  function receiveBody(query: CallbackQuery, rawBody: string): Promise<ReceiveResult> {
    try {
      const event = readEvent(query, rawBody, resolved);
      const result = event instanceof ReceiverError ? refuse(event) : dispatch(event);
      return result instanceof Promise ? result : Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  function checkQuery(params: URLSearchParams | string): CallbackQuery | ReceiverError {
    return verifyQuery(readQuery(params));
  }

  async function receive(input: {
    query: URLSearchParams | string;
    rawBody: string;
  }): Promise<ReceiveResult> {
    const query = checkQuery(input.query);
    if (query instanceof ReceiverError) return refuse(query);
    return receiveBody(query, input.rawBody);
  }

  async function fetch(request: Request): Promise<Response> {
    let result: ReceiveResult;
    try {
      result = await handleRequest(request);
    } catch (error) {
      // A body stream that failed (the client went away): still one answer, in the envelope.
      resolved.log('[timhook] unexpected error in the fetch handler', error);
      result = refuse(new ReceiverError('HandlerFailed', 'internal error', { cause: error }));
    }
    return new Response(result.body, { status: result.status, headers: answerHeaders(result) });
  }

  async function handleRequest(request: Request): Promise<ReceiveResult> {
    if (request.method !== 'POST') {
      return refuse(
        new ReceiverError('MethodNotAllowed', `${request.method} is not allowed; callbacks are POST`),
      );
    }
    const query = checkQuery(querySearchOf(request.url));
    if (query instanceof ReceiverError) {
      await request.body?.cancel().catch(() => {});
      return refuse(query);
    }
    const text = await readBodyText(request, resolved.maxBodyBytes);
    if (text instanceof ReceiverError) return refuse(text);
    return receiveBody(query, text);
  }

  const receiver: Receiver = {
    on(command, handler) {
      for (const name of typeof command === 'string' ? [command] : command) {
        let set = handlers.get(name);
        if (!set) {
          set = new Set();
          handlers.set(name, set);
        }
        set.add(handler as Handler<AnyEvent>);
      }
    },
    onAny(handler) {
      anyHandlers.add(handler);
    },
    onError(handler) {
      errorHandlers.add(handler);
    },
    receive,
    verifyQuery: checkQuery,
    receiveBody,
    refuse: (error) => refuse(error),
    fetch,
    options: resolved,
  };
  return receiver;
}
