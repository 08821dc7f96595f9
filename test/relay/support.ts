import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import {
  type AddressInfo,
  connect,
  createServer as createTcpServer,
  type Socket,
  type Server as TcpServer,
} from 'node:net';
import { expect, vi } from 'vitest';
import { type DeclaredSink, parseSinks, type SinkStatus } from '../../src/relay/index.js';
import type { Recorder } from '../../src/server/index.js';
import type { DeadLetter, RecordedEvent } from '../../src/store/index.js';
import { groupChange, POLL, sendCallback } from '../server/support.js';

/** The loopback services of the project machine (`.ci/services` starts them). */
export const NATS_PORT = 4222;
export const REDIS_PORT = 6379;
export const RABBITMQ_PORT = 5672;

/** Relay timing fast enough for tests: quick polls and checkpoints, short retries. */
export const FAST_TIMING = { pollMs: 50, checkpointMs: 20, leaseTtlMs: 5_000 };
export const FAST_RETRY = { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 100 };

/** A name no other test (or run) uses: `<prefix>_<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** A fresh Standard Webhooks secret. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** Declares sinks as the config file would, defaults filled in, secrets read from `env`. */
export function declareSinks(sinks: unknown[], env: NodeJS.ProcessEnv = {}): DeclaredSink[] {
  return parseSinks(sinks, env);
}

/**
 * A TCP proxy on a loopback port in front of `targetPort`. `cut()` plays the server process dying:
 * every open connection is reset and new ones are refused; `restore()` listens again on the same
 * port. The shared services are never stopped, so other tests and helpers are not disturbed.
 */
export interface TcpProxy {
  readonly port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: TcpServer;
  const listen = async (port: number): Promise<number> => {
    server = createTcpServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      sockets.add(client);
      sockets.add(upstream);
      const end = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return (server.address() as AddressInfo).port;
  };
  const port = await listen(0);
  let listening = true;
  const cut = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
    await closed;
  };
  return {
    port,
    cut,
    async restore() {
      if (listening) return;
      await listen(port);
      listening = true;
    },
    close: cut,
  };
}

/** One request the webhook receiver got. */
export interface WebhookRequest {
  /** The path and query string. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What the receiver answers: a status and headers. */
export type WebhookAnswer = { status: number; headers?: Record<string, string> };

/** A webhook endpoint for the HTTP sink: records every request; `answer` decides each reply. */
export interface WebhookReceiver {
  readonly url: string;
  readonly requests: WebhookRequest[];
  answer: (request: WebhookRequest) => WebhookAnswer;
  /** Stops listening and drops open connections (the endpoint is down). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

export async function startWebhookReceiver(
  answer: (request: WebhookRequest) => WebhookAnswer = () => ({ status: 204 }),
  options: { delayMs?: number } = {},
): Promise<WebhookReceiver> {
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;
  const receiver: WebhookReceiver = {
    get url() {
      return `http://127.0.0.1:${port}/hook`;
    },
    requests: [],
    answer,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    async start() {
      server = createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (chunk: string) => {
          body += chunk;
        });
        req.on('end', () => {
          const request = { url: req.url ?? '', headers: req.headers, body, at: Date.now() };
          receiver.requests.push(request);
          const { status, headers = {} } = receiver.answer(request);
          const reply = () => res.writeHead(status, headers).end();
          if (options.delayMs) setTimeout(reply, options.delayMs);
          else reply();
        });
      });
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
      port = (server.address() as AddressInfo).port;
    },
  };
  await receiver.start();
  return receiver;
}

/** A delivered message as a test sees it: its id, and the event it carries. */
export interface Received {
  id: string;
  event: RecordedEvent;
}

/**
 * Checks the at-least-once contract on what a consumer received, against the log: every event
 * arrived; a copy has the id `<sdkAppId>:<seq>` of its event; first copies come in seq order per
 * group. Returns how many copies were duplicates.
 */
export function expectAllInOrder(received: readonly Received[], logged: readonly RecordedEvent[]): number {
  const firstSeen = new Map<string, Received>();
  for (const message of received) {
    expect(message.id).toBe(`${message.event.sdkAppId}:${message.event.seq}`);
    if (!firstSeen.has(message.id)) firstSeen.set(message.id, message);
  }
  const missing = logged
    .filter((event) => !firstSeen.has(`${event.sdkAppId}:${event.seq}`))
    .map((e) => e.seq);
  expect(missing).toEqual([]);
  const lastOfGroup = new Map<string, number>();
  for (const { event } of firstSeen.values()) {
    const group = event.groupId ?? '';
    expect(event.seq, `group ${group} out of order`).toBeGreaterThan(lastOfGroup.get(group) ?? 0);
    lastOfGroup.set(group, event.seq);
  }
  return received.length - firstSeen.size;
}

/** Reads the whole log through the recorder's API. */
export async function readLog(recorder: Pick<Recorder, 'url'> | string): Promise<RecordedEvent[]> {
  const base = typeof recorder === 'string' ? recorder : recorder.url;
  const events: RecordedEvent[] = [];
  let after = 0;
  for (;;) {
    const page = (await (await fetch(`${base}/api/events?after=${after}&limit=1000`)).json()) as {
      events: RecordedEvent[];
      next: number | null;
    };
    events.push(...page.events);
    if (page.next === null) return events;
    after = page.next;
  }
}

/**
 * Sends `count` group changes over `groups` groups, `lanes` at a time (so commits batch), and
 * expects each to be answered OK. Names are `<tag>-<n>`.
 */
export async function sendChanges(
  recorder: Pick<Recorder, 'callbackUrl'>,
  count: number,
  options: { groups?: number; lanes?: number; tag?: string; from?: number } = {},
): Promise<void> {
  const { groups = 4, lanes = 8, tag = 'change', from = 0 } = options;
  let next = from;
  const end = from + count;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < end) {
        const n = next++;
        const answer = await sendCallback(
          recorder,
          groupChange(groupIdOf(n % groups), { Name: `${tag}-${n}` }),
        );
        expect(answer.json).toMatchObject({ ActionStatus: 'OK' });
      }
    }),
  );
}

/** The id of test group `index`, in Tencent's `@TGS#` form (it holds `#` and `@`). */
export function groupIdOf(index: number): string {
  return `@TGS#RELAY${index}`;
}

/** `GET /api/relay/{sink}`: the sink's status with its first dead letters (`letters`). */
export async function sinkStatus(
  recorder: Pick<Recorder, 'url'>,
  sink: string,
  apiToken?: string,
): Promise<SinkStatus & { letters: DeadLetter[] }> {
  const response = await fetch(`${recorder.url}/api/relay/${encodeURIComponent(sink)}`, {
    headers: apiToken ? { authorization: `Bearer ${apiToken}` } : {},
  });
  expect(response.status).toBe(200);
  return (await response.json()) as SinkStatus & { letters: DeadLetter[] };
}

/** `POST /api/relay/{sink}/{action}` with a JSON body; resolves with status and answer. */
export async function relayAction(
  recorder: Pick<Recorder, 'url'>,
  sink: string,
  action: 'replay' | 'redrive' | 'enable',
  body: unknown = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${recorder.url}/api/relay/${encodeURIComponent(sink)}/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/**
 * A sink's server goes away mid-stream and comes back (through `proxy`): changes keep being
 * accepted meanwhile; afterwards every change has arrived, first copies in order per group, and
 * nothing was dead-lettered. `received` reads what the consumer has so far.
 */
export async function expectOutageSurvived(
  recorder: Pick<Recorder, 'url' | 'callbackUrl'>,
  sink: string,
  proxy: TcpProxy,
  received: () => Promise<Received[]>,
): Promise<void> {
  const sending = sendChanges(recorder, 150, { lanes: 2, tag: 'before' });
  await vi.waitFor(async () => expect((await received()).length).toBeGreaterThanOrEqual(30), POLL);
  await proxy.cut();
  await sending;
  await sendChanges(recorder, 30, { lanes: 2, tag: 'during', from: 150 });
  await vi.waitFor(async () => expect((await sinkStatus(recorder, sink)).phase).toBe('unreachable'), POLL);
  await sendChanges(recorder, 20, { lanes: 2, tag: 'during', from: 180 });
  await proxy.restore();
  const logged = await readLog(recorder);
  expect(logged).toHaveLength(200);
  await vi.waitFor(
    async () => expect(new Set((await received()).map((r) => r.id)).size).toBe(logged.length),
    { timeout: 15_000, interval: 50 },
  );
  expectAllInOrder(await received(), logged);
  expect((await sinkStatus(recorder, sink)).deadLetters).toBe(0);
}
