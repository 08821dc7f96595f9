import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerHeaders, type ReceiveResult } from './answer.js';
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
    handleNodeRequest(receiver, req).then(
      (result) => writeResult(res, result),
      (error: unknown) => {
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
export async function handleNodeRequest(receiver: Receiver, req: IncomingMessage): Promise<ReceiveResult> {
  if (req.method !== 'POST') {
    return receiver.refuse(
      new ReceiverError('MethodNotAllowed', `${req.method} is not allowed; callbacks are POST`),
    );
  }
  const query = receiver.verifyQuery(querySearchOf(req.url ?? ''));
  if (query instanceof ReceiverError) return receiver.refuse(query);
  const text = await readNodeBody(req, receiver.options.maxBodyBytes);
  if (text instanceof ReceiverError) return receiver.refuse(text);
  // Awaited, not returned: see dispatch in create-receiver.ts.
  return await receiver.receiveBody(query, text);
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
  const headers: Record<string, string | number> = {
    ...answerHeaders(result),
    ...extraHeaders,
    'content-length': Buffer.byteLength(result.body),
  };
  res.writeHead(result.status, headers);
  res.end(result.body);
}
