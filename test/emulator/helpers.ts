import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, expect } from 'vitest';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';

/** The official UserSig generator (npm `tls-sig-api-v2`), used as a real client would. */
export interface OfficialSigApi {
  genUserSig(userId: string, expireSeconds: number): string;
  genPrivateMapKey(userId: string, expireSeconds: number, roomId: number, privilegeMap: number): string;
}

const require = createRequire(import.meta.url);
const { Api } = require('tls-sig-api-v2') as {
  Api: new (sdkAppId: number, key: string) => OfficialSigApi;
};

/** An official generator for `sdkAppId` and `key`. */
export function officialSigApi(sdkAppId: number, key: string): OfficialSigApi {
  return new Api(sdkAppId, key);
}

export const SDK_APP_ID = 1400000000;
export const SECRET_KEY = '5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e';
export const ADMIN = 'administrator';

/** One request the test receiver got. */
export interface ReceivedCallback {
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  rawBody: string;
  body: Record<string, unknown>;
  /** Which TCP connection it came on (1 for the first the receiver saw, …). */
  connection: number;
}

/** Decides the answer to one callback; the default answers the documented OK at once. */
export type Responder = (callback: ReceivedCallback, res: ServerResponse) => void;

/** A bare node:http receiver that records every callback. */
export interface TestReceiver {
  url: string;
  received: ReceivedCallback[];
  /** Resolves once `count` callbacks have arrived in all. */
  waitFor(count: number): Promise<ReceivedCallback[]>;
  respond: Responder;
  close(): Promise<void>;
}

/** Answers the documented success envelope. */
export function answerOk(_callback: ReceivedCallback, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}');
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  const pending = cleanups.splice(0);
  await Promise.all(pending.reverse().map((cleanup) => cleanup()));
});

/** Starts a receiver on a free loopback port; it is closed after the test. */
export async function startReceiver(respond: Responder = answerOk): Promise<TestReceiver> {
  const received: ReceivedCallback[] = [];
  const waiters: Array<{ count: number; resolve: (list: ReceivedCallback[]) => void }> = [];
  const connections = new WeakMap<Socket, number>();
  let nextConnection = 1;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let connection = connections.get(req.socket);
      if (connection === undefined) {
        connection = nextConnection++;
        connections.set(req.socket, connection);
      }
      const callback: ReceivedCallback = {
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        rawBody,
        body: JSON.parse(rawBody) as Record<string, unknown>,
        connection,
      };
      received.push(callback);
      receiver.respond(callback, res);
      for (const waiter of [...waiters]) {
        if (received.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(received.slice());
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: TestReceiver = {
    url: `http://127.0.0.1:${port}/callback`,
    received,
    respond,
    waitFor(count) {
      if (received.length >= count) return Promise.resolve(received.slice());
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  cleanups.push(receiver.close);
  return receiver;
}

/** Starts an emulator on a free loopback port with the test app's id and key; stopped after the test. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = createEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, ...options });
  cleanups.push(() => emulator.stop());
  await emulator.start();
  return emulator;
}

/** Registers a cleanup to run after the test. */
export function onCleanup(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

/** The query of a REST call, signed by the official generator unless `usersig` is given. */
export function restQuery(overrides: Record<string, string | null> = {}, identifier = ADMIN): string {
  const params: Record<string, string | null> = {
    sdkappid: String(SDK_APP_ID),
    identifier,
    usersig: officialSigApi(SDK_APP_ID, SECRET_KEY).genUserSig(identifier, 86_400),
    random: '12345',
    contenttype: 'json',
    ...overrides,
  };
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== null) search.set(key, value);
  return search.toString();
}

/** POSTs `body` (an object, or raw text) to `url` and parses the JSON answer. */
export async function postJson(
  url: string,
  body: unknown,
  method = 'POST',
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method,
    ...(method === 'GET' || method === 'HEAD'
      ? {}
      : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Calls a REST command with an official UserSig for `identifier`. */
export async function callRest(
  emulator: Emulator,
  command: string,
  body: unknown,
  overrides: Record<string, string | null> = {},
  identifier = ADMIN,
): Promise<Record<string, unknown>> {
  const { status, json } = await postJson(
    `${emulator.url}/v4/${command}?${restQuery(overrides, identifier)}`,
    body,
  );
  if (status !== 200) throw new Error(`REST answered HTTP ${status}`);
  return json;
}

/** The answer `{ActionStatus:'FAIL', ErrorCode: code}` with a non-empty `ErrorInfo`. */
export function failure(code: number): Record<string, unknown> {
  return { ActionStatus: 'FAIL', ErrorCode: code, ErrorInfo: expect.stringMatching(/\S/) };
}
