import type { IncomingMessage, ServerResponse } from 'node:http';

/** What Node reports when the peer of a request closes or resets its connection. */
const GONE_CODES = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);

/**
 * True when `error` only says that the client of this request went away (aborted the upload, closed
 * the connection): no fault of the service. A reset of another connection (the database, a sink)
 * while the client is still there is a fault, and is not matched.
 */
export function isClientGone(error: unknown, req: IncomingMessage, res: ServerResponse): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  const gone = (code !== undefined && GONE_CODES.has(code)) || error.message === 'aborted';
  return gone && (req.destroyed || res.destroyed || req.socket.destroyed);
}
