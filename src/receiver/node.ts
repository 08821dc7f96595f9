import type { IncomingMessage, ServerResponse } from 'node:http';
import { ANSWER_HEADERS, type ReceiveResult } from './answer.js';
import type { Receiver } from './create-receiver.js';
import { ReceiverError } from './errors.js';
import { decodeBody, tooLarge } from './read-body.js';

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
  const url = req.url ?? '';
  const at = url.indexOf('?');
  const query = receiver.verifyQuery(new URLSearchParams(at >= 0 ? url.slice(at + 1) : ''));
  if (query instanceof ReceiverError) return receiver.refuse(query);
  const text = await readNodeBody(req, receiver.options.maxBodyBytes);
  if (text instanceof ReceiverError) return receiver.refuse(text);
  return receiver.receiveBody(query, text);
}

/** Reads a Node request body as UTF-8, refusing as soon as it passes `maxBytes`. */
export function readNodeBody(req: IncomingMessage, maxBytes: number): Promise<string | ReceiverError> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.resolve(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        req.pause();
        resolve(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(decodeBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Writes a result; a refusal that left the body unread closes the connection behind it. */
export function writeResult(res: ServerResponse, result: ReceiveResult): void {
  if (res.headersSent) return;
  const headers: Record<string, string | number> = {
    ...ANSWER_HEADERS,
    'content-length': Buffer.byteLength(result.body),
  };
  if (result.status === 413) headers.connection = 'close';
  res.writeHead(result.status, headers);
  res.end(result.body);
}
