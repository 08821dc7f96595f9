import { ReceiverError } from './errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a web `Request` body as UTF-8 text, stopping as soon as it passes `maxBytes` (the rest is
 * never read). A declared `Content-Length` over the limit is refused before reading anything.
 */
export async function readBodyText(request: Request, maxBytes: number): Promise<string | ReceiverError> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) {
    await request.body?.cancel().catch(() => {});
    return tooLarge(maxBytes);
  }
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return decodeBody(chunks.length === 1 ? chunks[0]! : concat(chunks, size));
}

/** Decodes strict UTF-8; invalid bytes make the body "not JSON". */
export function decodeBody(bytes: Uint8Array): string | ReceiverError {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    return new ReceiverError('BodyNotJson', 'body is not valid UTF-8', { cause });
  }
}

/** The refusal for a body over `maxBytes`. */
export function tooLarge(maxBytes: number): ReceiverError {
  return new ReceiverError('BodyTooLarge', `body is over ${maxBytes} bytes`);
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
