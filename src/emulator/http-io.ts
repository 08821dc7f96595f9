import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request body that passed the size limit, or why it was not read. */
export type BodyRead = { ok: true; text: string } | { ok: false; reason: 'too-large' | 'not-utf8' };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Reads a request body as strict UTF-8, stopping as soon as it passes `maxBytes`. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) return Promise.resolve({ ok: false, reason: 'too-large' });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        resolve({ ok: false, reason: 'too-large' });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve({
          ok: true,
          text: utf8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)),
        });
      } catch {
        resolve({ ok: false, reason: 'not-utf8' });
      }
    });
    req.on('error', reject);
  });
}

/** Parses `text` as a JSON object; `undefined` when it is not JSON or not an object. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `value` as a JSON answer. */
export function sendJson(res: ServerResponse, status: number, value: unknown, close = false): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}

/** The JSON API's error shape, the recorder's too: `{ error: { code, message } }`. */
export function sendApiError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

/** The caller's IP address, without the `::ffff:` of an IPv4 address on a dual-stack socket. */
export function remoteAddressOf(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
