import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerHeaders, OK_RESULT, type ReceiveResult } from './answer.js';
import type { Receiver } from './create-receiver.js';
import { ReceiverError } from './errors.js';
import { decodeBody, tooLarge } from './read-body.js';
import { querySearchOf } from './read-query.js';

/**
 * A `node:http` request listener for a receiver; it also serves as an Express handler
 * (`app.post('/callback', toNodeHandler(receiver))`, mounted before any body parser). It answers
 * every request itself, whatever its path: mount it where callbacks arrive.
 *
 * @example
 * http.createServer(toNodeHandler(receiver)).listen(8080);
 */
export function toNodeHandler(receiver: Receiver): (req: IncomingMessage, res: ServerResponse) => void {
  return function timhookNodeHandler(req, res) {
    receiveNodeRequest(
      receiver,
      req,
      (result) => writeResult(res, result),
      (error) => {
        // A client that went away mid-body needs no answer, and is no error of the app.
        if (req.destroyed && !req.complete) return;
        receiver.options.log('[timhook] unexpected error in the node adapter', error);
        writeResult(
          res,
          receiver.refuse(new ReceiverError('HandlerFailed', 'internal error', { cause: error })),
        );
      },
    );
  };
}

/** Verifies and dispatches one Node request; reads its body only once the URL has passed. */
export function handleNodeRequest(receiver: Receiver, req: IncomingMessage): Promise<ReceiveResult> {
  return new Promise((resolve, reject) => receiveNodeRequest(receiver, req, resolve, reject));
}

/**
 * {@link handleNodeRequest} with callbacks, for a server that answers many callbacks a second: it
 * makes no promise of its own. `done` gets the result to write; `fail` an unexpected error (a
 * body stream that failed), or one that `done` threw.
 *
 * @example
 * receiveNodeRequest(receiver, req, (result) => writeResult(res, result), (error) => res.destroy(error));
 */
export function receiveNodeRequest(
  receiver: Receiver,
  req: IncomingMessage,
  done: (result: ReceiveResult) => void,
  fail: (error: unknown) => void,
): void {
  // A throw (from `done`, or a bug) becomes `fail`, as a rejection does for handleNodeRequest: never
  // an exception out of an event listener.
  try {
    if (req.method !== 'POST') {
      done(
        receiver.refuse(
          new ReceiverError('MethodNotAllowed', `${req.method} is not allowed; callbacks are POST`),
        ),
      );
      return;
    }
    const query = receiver.verifyQuery(querySearchOf(req.url ?? ''));
    if (query instanceof ReceiverError) {
      done(receiver.refuse(query));
      return;
    }
    collectNodeBody(
      req,
      receiver.options.maxBodyBytes,
      (text) => {
        try {
          if (text instanceof ReceiverError) done(receiver.refuse(text));
          else receiver.receiveBody(query, text).then((result) => doneOrFail(result, done, fail), fail);
        } catch (error) {
          fail(error);
        }
      },
      fail,
    );
  } catch (error) {
    fail(error);
  }
}

/** Calls `done`, and `fail` with what it throws: a `then` callback that threw would reject unheard. */
function doneOrFail(
  result: ReceiveResult,
  done: (result: ReceiveResult) => void,
  fail: (error: unknown) => void,
) {
  try {
    done(result);
  } catch (error) {
    fail(error);
  }
}

/** Reads a Node request body as UTF-8, refusing as soon as it passes `maxBytes`. */
export function readNodeBody(req: IncomingMessage, maxBytes: number): Promise<string | ReceiverError> {
  return new Promise((resolve, reject) => collectNodeBody(req, maxBytes, resolve, reject));
}

function collectNodeBody(
  req: IncomingMessage,
  maxBytes: number,
  callback: (text: string | ReceiverError) => void,
  fail: (error: unknown) => void,
): void {
  // A body parser mounted before the receiver (express.json()) has already drained the stream:
  // waiting for 'end' would hang. Say so instead.
  if (req.readableEnded) {
    fail(new Error('[timhook] the request body was already read: mount the receiver before any body parser'));
    return;
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    callback(tooLarge(maxBytes));
    return;
  }
  // Listeners are left in place once settled (removing them costs more than ignoring them): the
  // request is over, or paused behind a 413 that closes the connection.
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  req.on('data', (chunk: Buffer) => {
    if (settled) return;
    size += chunk.length;
    if (size > maxBytes) {
      settled = true;
      // Read no more; the 413 answer closes the connection behind it.
      req.pause();
      callback(tooLarge(maxBytes));
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (settled) return;
    settled = true;
    callback(decodeBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
  });
  req.on('error', (error) => {
    if (settled) return;
    settled = true;
    fail(error);
  });
}

/**
 * Writes a result, with `extraHeaders` if given; a refusal that left the body unread closes the
 * connection behind it.
 */
export function writeResult(
  res: ServerResponse,
  result: ReceiveResult,
  extraHeaders?: Readonly<Record<string, string>>,
): void {
  if (res.headersSent) return;
  const reuse = result === OK_RESULT && (extraHeaders === undefined || Object.isFrozen(extraHeaders));
  res.writeHead(result.status, reuse ? okHeaders(extraHeaders) : headersOf(result, extraHeaders));
  res.end(result.body);
}

function headersOf(
  result: ReceiveResult,
  extraHeaders: Readonly<Record<string, string>> | undefined,
): Record<string, string | number> {
  return { ...answerHeaders(result), ...extraHeaders, 'content-length': Buffer.byteLength(result.body) };
}

// The headers of an OK, made once for each frozen set of extra headers (a server passes the same
// object every time): most answers are OK, and need no object of their own.
const OK_HEADERS = new WeakMap<object, Readonly<Record<string, string | number>>>();
const NO_EXTRA_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

function okHeaders(
  extraHeaders: Readonly<Record<string, string>> = NO_EXTRA_HEADERS,
): Readonly<Record<string, string | number>> {
  let headers = OK_HEADERS.get(extraHeaders);
  if (!headers) {
    headers = Object.freeze(headersOf(OK_RESULT, extraHeaders));
    OK_HEADERS.set(extraHeaders, headers);
  }
  return headers;
}
