import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach } from 'vitest';
import { createRestClient, type RestClient, type RestClientOptions } from '../../src/rest/index.js';

export const SDK_APP_ID = 1400000000;
export const SECRET_KEY = '5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e';
export const ADMIN = 'administrator';

/** One request the fake REST server got. */
export interface FakeRequest {
  /** `<service>/<command>`. */
  api: string;
  query: URLSearchParams;
  /** The body as sent, byte for byte. */
  rawBody: string;
  body: Record<string, unknown>;
}

/** What the fake answers: a JSON answer (HTTP 200), or a fault. */
export type FakeAnswer =
  | { json: Record<string, unknown> }
  | { fault: 'hang' }
  | { fault: 'destroy' }
  | { fault: 'status'; status: number; text?: string }
  | { fault: 'text'; text: string };

/** A bare node:http server speaking the REST API's documented envelope, scripted per test. */
export interface FakeRest {
  url: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  const pending = cleanups.splice(0);
  await Promise.all(pending.reverse().map((cleanup) => cleanup()));
});

/** Registers a cleanup to run after the test. */
export function onCleanup(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

/** The documented success envelope around `fields`. */
export function ok(fields: Record<string, unknown> = {}): FakeAnswer {
  return { json: { ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', ...fields } };
}

/** The documented failure envelope. */
export function fail(code: number, info = `error ${code}`): FakeAnswer {
  return { json: { ActionStatus: 'FAIL', ErrorCode: code, ErrorInfo: info } };
}

/** Starts a fake REST server on a free loopback port; `answer` decides each answer. */
export async function startFakeRest(
  answer: (request: FakeRequest, index: number) => FakeAnswer,
): Promise<FakeRest> {
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const request: FakeRequest = {
        api: url.pathname.replace(/^\/v4\//, ''),
        query: url.searchParams,
        rawBody,
        body: JSON.parse(rawBody) as Record<string, unknown>,
      };
      requests.push(request);
      respond(res, answer(request, requests.length - 1));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeRest = {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  cleanups.push(fake.close);
  return fake;
}

function respond(res: ServerResponse, answer: FakeAnswer): void {
  if ('json' in answer) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.json));
    return;
  }
  switch (answer.fault) {
    case 'hang':
      return;
    case 'destroy':
      res.socket?.destroy();
      return;
    case 'status':
      res.writeHead(answer.status, { 'content-type': 'text/plain' });
      res.end(answer.text ?? '');
      return;
    case 'text':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(answer.text);
      return;
  }
}

/** A client of `baseUrl` as the test app's admin, with quick retries; closed after the test. */
export function restClientFor(baseUrl: string, options: Partial<RestClientOptions> = {}): RestClient {
  const client = createRestClient({
    sdkAppId: SDK_APP_ID,
    identifier: ADMIN,
    secretKey: SECRET_KEY,
    baseUrl,
    timeoutMs: 2000,
    retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
    ...options,
  });
  cleanups.push(() => client.close());
  return client;
}
