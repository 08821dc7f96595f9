/** What the HTTP sink needs of an answer: its status, `Retry-After`, and whether the connection ends. */
export interface HttpAnswer {
  status: number;
  retryAfter: string | null;
  /** The server closes the connection after this answer (or its body runs until the close). */
  close: boolean;
}

/** An answer that breaks HTTP/1.1 (RFC 9112): the connection cannot be used any more. */
export class MalformedAnswer extends Error {
  override name = 'MalformedAnswer';
}

/** Reads one HTTP/1.1 answer from the bytes of a connection, skipping its body. */
export interface AnswerReader {
  /** Feeds the next bytes; returns the answer once it is complete, body included. */
  push(chunk: Buffer): HttpAnswer | null;
  /** The connection closed: the answer when its body ran until the close, else null. */
  end(): HttpAnswer | null;
  /** Whether any byte of the answer has come. */
  readonly started: boolean;
  /**
   * The bytes that came after the complete answer, or null: the start of the next answer when
   * requests are pipelined, or bytes nobody asked for (the connection decides which).
   */
  readonly rest: Buffer | null;
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 4 * 1024;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'trailers' | 'until-close' | 'done';

/**
 * Creates a reader for the answer to one request (not to a HEAD: every answer here is to a POST).
 * Informational (1xx) answers are skipped; the body is framed by `Transfer-Encoding: chunked`,
 * `Content-Length`, or the end of the connection (RFC 9112 §6.3), and thrown away.
 */
export function createAnswerReader(): AnswerReader {
  let state: State = 'head';
  let held: Buffer | null = null;
  let left = 0;
  let answer: HttpAnswer | null = null;
  let started = false;
  let rest: Buffer | null = null;

  function readHead(text: string): 'body' | 'again' {
    const lines = text.split('\r\n');
    const status = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: |$)/.exec(lines[0]!);
    if (!status)
      throw new MalformedAnswer(`not an HTTP/1.x status line: ${JSON.stringify(lines[0]!.slice(0, 80))}`);
    const code = Number(status[2]);
    let length: number | null = null;
    let encoding: string | null = null;
    let connection = '';
    let retryAfter: string | null = null;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new MalformedAnswer('a header line without a name');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value) || (length !== null && length !== Number(value)))
          throw new MalformedAnswer(`a bad Content-Length: ${JSON.stringify(value)}`);
        length = Number(value);
      } else if (name === 'transfer-encoding') encoding = encoding === null ? value : `${encoding}, ${value}`;
      else if (name === 'connection') connection += `${value.toLowerCase()},`;
      else if (name === 'retry-after') retryAfter = value;
    }
    if (code < 200) {
      if (code === 101) throw new MalformedAnswer('the server switched protocols');
      return 'again'; // informational: the answer follows
    }
    const keepAlive =
      status[1] === '1' ? !/(^|[\s,])close,/.test(connection) : /(^|[\s,])keep-alive,/.test(connection);
    answer = { status: code, retryAfter, close: !keepAlive };
    if (code === 204 || code === 304) state = 'done';
    else if (encoding !== null) {
      if (/(^|,)\s*chunked\s*$/i.test(encoding)) state = 'chunk-size';
      else {
        state = 'until-close';
        answer.close = true;
      }
    } else if (length !== null) {
      left = length;
      state = length === 0 ? 'done' : 'length';
    } else {
      state = 'until-close';
      answer.close = true;
    }
    return 'body';
  }

  function push(chunk: Buffer): HttpAnswer | null {
    if (chunk.length > 0) started = true;
    const data = held ? Buffer.concat([held, chunk]) : chunk;
    held = null;
    let at = 0;
    const hold = (limit: number, what: string) => {
      if (data.length - at > limit) throw new MalformedAnswer(`${what} longer than ${limit} bytes`);
      held = Buffer.from(data.subarray(at));
    };
    while (state !== 'done') {
      if (state === 'head') {
        const end = data.indexOf(HEAD_END, at);
        if (end < 0) {
          hold(MAX_HEAD_BYTES, 'a head');
          return null;
        }
        const head = data.toString('latin1', at, end);
        at = end + 4;
        readHead(head);
        continue;
      }
      if (state === 'until-close') return null;
      if (at >= data.length) return null;
      if (state === 'length' || state === 'chunk-data') {
        const take = Math.min(left, data.length - at);
        at += take;
        left -= take;
        if (left > 0) return null;
        if (state === 'length') state = 'done';
        else {
          // The chunk's data ends with CRLF: read as an empty line.
          state = 'chunk-size';
          left = -1;
        }
        continue;
      }
      const eol = data.indexOf(CRLF, at);
      if (eol < 0) {
        hold(MAX_LINE_BYTES, 'a chunk line');
        return null;
      }
      const line = data.toString('latin1', at, eol);
      at = eol + 2;
      if (state === 'chunk-size') {
        if (left === -1) {
          if (line !== '') throw new MalformedAnswer('a chunk longer than its size');
          left = 0;
          continue;
        }
        const size = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line);
        if (!size) throw new MalformedAnswer(`a bad chunk size: ${JSON.stringify(line.slice(0, 40))}`);
        left = parseInt(size[1]!, 16);
        state = left === 0 ? 'trailers' : 'chunk-data';
      } else if (line === '') state = 'done'; // the trailers end with an empty line
    }
    if (at < data.length) rest = data.subarray(at);
    return answer;
  }

  return {
    push,
    end() {
      return state === 'until-close' ? answer : null;
    },
    get started() {
      return started;
    },
    get rest() {
      return rest;
    },
  };
}
