import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RenderedPage } from '../store/index.js';

/** A refusal on the JSON API: answered as `{ "error": { "code", "message" } }` with `status`. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Writes `body` as JSON. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/** Writes JSON already serialised. */
export function sendJsonText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/**
 * Writes a page of events, `{ "events": [...], "next": … }`, from their rendered JSON: nothing is
 * parsed or serialised again (history at p99 under 5 ms after a million events).
 */
export function sendEventPage(res: ServerResponse, page: RenderedPage): void {
  let text = '{"events":[';
  for (let i = 0; i < page.events.length; i++) text += (i === 0 ? '' : ',') + page.events[i]!.json;
  sendJsonText(res, 200, `${text}],"next":${page.next === null ? 'null' : page.next}}`);
}

/** Writes text. */
export function sendText(res: ServerResponse, status: number, text: string, contentType: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The one place API errors become answers. */
export function sendApiError(res: ServerResponse, error: ApiError): void {
  const headers: Record<string, string> =
    error.status === 401 ? { 'www-authenticate': 'Bearer realm="timhook"' } : {};
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, headers);
}

/** True when the peer is this machine. */
export function isLoopback(req: IncomingMessage): boolean {
  const address = req.socket.remoteAddress ?? '';
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
