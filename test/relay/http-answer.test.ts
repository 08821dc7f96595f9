import { describe, expect, it } from 'vitest';
import { createAnswerReader, type HttpAnswer, MalformedAnswer } from '../../src/relay/http-answer.js';

/** Feeds `text` to a fresh reader in pieces of `size` bytes; the answer, and at which piece it came. */
function read(text: string, size = text.length): { answer: HttpAnswer | null; at: number } {
  const reader = createAnswerReader();
  const bytes = Buffer.from(text, 'latin1');
  for (let at = 0; at < bytes.length; at += size) {
    const answer = reader.push(bytes.subarray(at, at + size));
    if (answer) return { answer, at: Math.min(at + size, bytes.length) };
  }
  return { answer: null, at: bytes.length };
}

describe('reading a webhook endpoint’s answer', () => {
  const cases: Array<[string, string, HttpAnswer]> = [
    [
      '204 with no body',
      'HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n',
      { status: 204, retryAfter: null, close: false },
    ],
    [
      'a body of Content-Length bytes',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
      { status: 200, retryAfter: null, close: false },
    ],
    [
      'a chunked body, with extensions and trailers',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n',
      { status: 200, retryAfter: null, close: false },
    ],
    [
      'an informational answer first',
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n',
      { status: 503, retryAfter: '7', close: false },
    ],
    [
      'Connection: close',
      'HTTP/1.1 429 Too Many\r\nconnection: Close\r\ncontent-length: 2\r\n\r\nno',
      { status: 429, retryAfter: null, close: true },
    ],
    [
      'HTTP/1.0 without keep-alive',
      'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n',
      { status: 200, retryAfter: null, close: true },
    ],
  ];

  it.each(cases)('reads %s, whole or a byte at a time', (_what, text, expected) => {
    expect(read(text)).toEqual({ answer: expected, at: Buffer.byteLength(text, 'latin1') });
    expect(read(text, 1)).toEqual({ answer: expected, at: Buffer.byteLength(text, 'latin1') });
  });

  it('reads a body with no length until the connection closes', () => {
    const reader = createAnswerReader();
    expect(reader.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\nsome body'))).toBeNull();
    expect(reader.push(Buffer.from(' and more'))).toBeNull();
    expect(reader.end()).toEqual({ status: 200, retryAfter: null, close: true });
  });

  it('says when the connection closed before the answer, or in the middle of it', () => {
    const none = createAnswerReader();
    expect(none.started).toBe(false);
    expect(none.end()).toBeNull();
    const half = createAnswerReader();
    expect(half.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhal'))).toBeNull();
    expect(half.started).toBe(true);
    expect(half.end()).toBeNull();
  });

  it('keeps the bytes after the answer: the start of the next one, when requests are pipelined', () => {
    const reader = createAnswerReader();
    const next = 'HTTP/1.1 503 Busy\r\nRetry-After: 2\r\nContent-Length: 0\r\n\r\n';
    const answer = reader.push(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok${next}`));
    expect(answer).toEqual({ status: 200, retryAfter: null, close: false });
    expect(reader.rest?.toString('latin1')).toBe(next);
    const second = createAnswerReader();
    expect(second.push(reader.rest!)).toEqual({ status: 503, retryAfter: '2', close: false });
    expect(second.rest).toBeNull();
  });

  it.each([
    ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n'],
    ['two Content-Lengths that differ', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['a chunk longer than it said', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n'],
    ['a head that never ends', `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}`],
  ])('refuses %s', (_what, text) => {
    expect(() => read(text)).toThrow(MalformedAnswer);
  });
});
