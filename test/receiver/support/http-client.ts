import http from 'node:http';

/** A request a test sends to a receiver. `path` holds the query; `body` is sent as given. */
export interface TestRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** What came back. `json` is the parsed body, or `undefined` when it was not JSON. */
export interface TestAnswer {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
  json: unknown;
}

/** A request whose body never ends: chunks of zeros up to `limit` bytes, and no end after them. */
export interface EndlessRequest {
  path: string;
  headers?: Record<string, string>;
  /** Bytes to offer at most. Default 10 MiB. */
  limit?: number;
}

/** The answer to an {@link EndlessRequest} and how many bytes had been offered when it came. */
export interface EndlessAnswer {
  answer: TestAnswer;
  bytesOffered: number;
}

export const TEN_MIB = 10 * 1024 * 1024;
export const CHUNK = new Uint8Array(64 * 1024).fill(0x20);

/** Reads `text` as JSON, or gives `undefined`. */
export function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toAnswer(res: http.IncomingMessage, text: string): TestAnswer {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { status: res.statusCode ?? 0, headers, text, json: tryJson(text) };
}

function readAnswer(res: http.IncomingMessage): Promise<TestAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(toAnswer(res, Buffer.concat(chunks).toString('utf8'))));
    res.on('error', reject);
  });
}

/** Sends one request over a real socket. */
export function sendHttp(port: number, agent: http.Agent, request: TestRequest): Promise<TestAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(
      { host: '127.0.0.1', port, agent, method: request.method ?? 'POST', path: request.path },
      (res) => {
        answered = true;
        readAnswer(res).then(resolve, reject);
      },
    );
    for (const [name, value] of Object.entries(request.headers ?? {})) req.setHeader(name, value);
    // Node's client sends no framing for a DELETE body unless told its length.
    if (request.body !== undefined && !req.hasHeader('content-length')) {
      req.setHeader('content-length', Buffer.byteLength(request.body));
    }
    // A server that refuses a body unread may reset the connection once it has answered.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.end(request.body);
  });
}

/**
 * Offers a body that never ends over a real socket, a chunk at a time with backpressure, and
 * resolves with the answer. A server that waited for the whole body would never answer.
 */
export function sendEndlessHttp(port: number, request: EndlessRequest): Promise<EndlessAnswer> {
  const limit = request.limit ?? TEN_MIB;
  return new Promise((resolve, reject) => {
    let offered = 0;
    let answered = false;
    // A fresh connection: the server closes it behind a 413.
    const req = http.request({ host: '127.0.0.1', port, agent: false, method: 'POST', path: request.path });
    for (const [name, value] of Object.entries(request.headers ?? {})) req.setHeader(name, value);
    req.on('response', (res) => {
      answered = true;
      const bytesOffered = offered;
      readAnswer(res).then((answer) => {
        req.destroy();
        resolve({ answer, bytesOffered });
      }, reject);
    });
    // Writes after the server closed the connection fail; only the answer matters.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const pump = () => {
      while (!answered && !req.destroyed && offered < limit) {
        offered += CHUNK.byteLength;
        if (!req.write(CHUNK)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    req.flushHeaders();
    pump();
  });
}
