import { Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, expect, it, vi } from 'vitest';
import { createHttpSink, type HttpSinkSettings, type RelayMessage } from '../../src/relay/index.js';
import type { RecordedEvent } from '../../src/store/index.js';
import { createHarness, groupChange, POLL, sendCallback } from '../server/support.js';
import { type RawServer, startRawServer } from './raw-http-server.js';
import {
  declareSinks,
  expectAllInOrder,
  FAST_RETRY,
  FAST_TIMING,
  newWebhookSecret,
  type Received,
  readLog,
  relayAction,
  sendChanges,
  sinkStatus,
  startWebhookReceiver,
  type WebhookReceiver,
  type WebhookRequest,
} from './support.js';

const harness = createHarness();
const receivers: WebhookReceiver[] = [];
const servers: RawServer[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await harness.cleanup();
  for (const receiver of receivers.splice(0)) await receiver.stop().catch(() => {});
  for (const server of servers.splice(0)) await server.close();
});

const SECRET = newWebhookSecret();
const ENV = { TEST_HOOK_SECRET: SECRET };

function httpSink(name: string, url: string, extra: Record<string, unknown> = {}) {
  return { name, type: 'http', url, secretEnv: 'TEST_HOOK_SECRET', retry: FAST_RETRY, ...extra };
}

async function receiver(answer?: Parameters<typeof startWebhookReceiver>[0]): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver(answer);
  receivers.push(started);
  return started;
}

/** The requests answered 2xx, verified with the reference Standard Webhooks library. */
function verified(
  requests: readonly WebhookRequest[],
  ok = (r: WebhookRequest) => r !== undefined,
): Received[] {
  const webhook = new Webhook(SECRET);
  return requests.filter(ok).map((request) => ({
    id: request.headers['webhook-id'] as string,
    event: webhook.verify(request.body, request.headers as Record<string, string>) as RecordedEvent,
  }));
}

it('delivers every change once, in log order per group, signed so a Standard Webhooks library verifies it', async () => {
  const hook = await receiver();
  const recorder = await harness.start({
    sinks: declareSinks([httpSink('hook', hook.url)], ENV),
    relayTiming: FAST_TIMING,
  });
  await sendChanges(recorder, 60);
  const logged = await readLog(recorder);
  expect(logged).toHaveLength(60);
  await vi.waitFor(() => expect(hook.requests.length).toBeGreaterThanOrEqual(60), POLL);

  const received = verified(hook.requests);
  expect(expectAllInOrder(received, logged)).toBe(0);
  for (const { event } of received) expect(event).toEqual(logged.find((e) => e.seq === event.seq));
  for (const request of hook.requests) {
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  }
  await vi.waitFor(async () => expect((await sinkStatus(recorder, 'hook')).lagEvents).toBe(0), POLL);
});

/** A message of group `groupId` as the relay hands it to the sink. */
function message(seq: number, groupId: string): RelayMessage {
  const json = JSON.stringify({ seq, groupId });
  const event = {
    seq,
    receivedAt: 0,
    command: 'Group.CallbackAfterGroupInfoChanged',
    kind: 'group' as const,
    groupId,
    topicId: null,
    json,
    raw: json,
  };
  return { id: `app:${seq}`, seq, sdkAppId: 'app', event, body: json };
}

it('pipelines other groups’ changes behind a busy connection, never two changes of one group at once', async () => {
  const raw = await startRawServer();
  servers.push(raw);
  const url = `http://127.0.0.1:${raw.port}/hook`;
  const [declared] = declareSinks([httpSink('hook', url, { concurrency: 1, pipelining: 4 })], ENV);
  const sink = createHttpSink(declared!.settings as HttpSinkSettings, SECRET);
  const groups = ['@TGS#G', '@TGS#G', '@TGS#H', '@TGS#I', '@TGS#J', '@TGS#K'];
  const delivering = sink.deliver(
    groups.map((group, i) => message(i + 1, group)),
    new AbortController().signal,
  );
  // One connection, four requests on it at once; G's second change waits for its first's answer.
  await vi.waitFor(() => expect(raw.requests).toHaveLength(4));
  expect(raw.requests.map((r) => [r.id, r.connection, r.open])).toEqual([
    ['app:1', 1, 1],
    ['app:3', 1, 2],
    ['app:4', 1, 3],
    ['app:5', 1, 4],
  ]);
  for (const r of raw.requests) r.answer(204);
  await vi.waitFor(() => expect(raw.requests).toHaveLength(6));
  expect(raw.requests.slice(4).map((r) => r.id)).toEqual(['app:6', 'app:2']);
  for (const r of raw.requests.slice(4)) r.answer(204);
  expect(await delivering).toEqual(groups.map(() => null));
  await sink.close();
});

it('never lets a change sent ahead overtake an earlier change of its group that failed', async () => {
  const hook = await receiver((request) => ({
    status: request.headers['webhook-id'] === 'app:1' ? 500 : 204,
  }));
  const [declared] = declareSinks([httpSink('hook', hook.url)], ENV);
  const sink = createHttpSink(declared!.settings as HttpSinkSettings, SECRET);
  const signal = new AbortController().signal;
  const refused = { kind: 'failed', message: `HTTP 500 from ${hook.url}` };
  // Sent ahead while the first call is in flight, as the relay does with the next batch.
  const first = sink.deliver([message(1, '@TGS#G'), message(2, '@TGS#H')], signal);
  const second = sink.deliver([message(3, '@TGS#G'), message(4, '@TGS#H')], signal, { ahead: true });
  expect(await first).toEqual([refused, null]);
  expect(await second).toEqual([{ kind: 'deferred' }, null]);
  // Sent ahead after the failure: still deferred, until the relay has retried the failed change.
  expect(await sink.deliver([message(5, '@TGS#G')], signal, { ahead: true })).toEqual([{ kind: 'deferred' }]);
  expect(await sink.deliver([message(1, '@TGS#G')], signal)).toEqual([refused]);
  hook.answer = () => ({ status: 204 });
  expect(await sink.deliver([message(1, '@TGS#G')], signal)).toEqual([null]);
  expect(await sink.deliver([message(3, '@TGS#G')], signal, { ahead: true })).toEqual([null]);
  const ids = hook.requests.map((r) => r.headers['webhook-id']);
  expect(ids.filter((id) => id === 'app:1')).toHaveLength(3);
  expect(ids.filter((id) => id === 'app:3' || id === 'app:5')).toEqual(['app:3']);
  await sink.close();
});

it('sends the configured headers, and the credentials of the URL as basic auth', async () => {
  const hook = await receiver();
  const url = new URL(hook.url);
  url.username = 'relay';
  url.password = 'p@ss';
  url.search = '?team=orders';
  const recorder = await harness.start({
    sinks: declareSinks(
      [httpSink('hook', url.href, { headers: { 'X-Team': 'orders', 'Content-Type': 'text/plain' } })],
      ENV,
    ),
    relayTiming: FAST_TIMING,
  });
  await sendChanges(recorder, 1);
  await vi.waitFor(() => expect(hook.requests).toHaveLength(1), POLL);
  const [request] = hook.requests;
  expect(request!.url).toBe('/hook?team=orders');
  expect(request!.headers).toMatchObject({
    'x-team': 'orders',
    'content-type': 'application/json',
    authorization: `Basic ${Buffer.from('relay:p@ss').toString('base64')}`,
    host: url.host,
  });
});

it('refuses a body changed in transit: the signature covers id, timestamp and body', async () => {
  const hook = await receiver();
  const recorder = await harness.start({
    sinks: declareSinks([httpSink('hook', hook.url)], ENV),
    relayTiming: FAST_TIMING,
  });
  await sendChanges(recorder, 1);
  await vi.waitFor(() => expect(hook.requests).toHaveLength(1), POLL);
  const request = hook.requests[0]!;
  const webhook = new Webhook(SECRET);
  expect(() =>
    webhook.verify(request.body.replace('change-0', 'change-9'), request.headers as Record<string, string>),
  ).toThrow();
  expect(() =>
    new Webhook(newWebhookSecret()).verify(request.body, request.headers as Record<string, string>),
  ).toThrow();
});

it('sends the original Tencent body, byte for byte, when the sink asks for payload "original"', async () => {
  const hook = await receiver();
  const recorder = await harness.start({
    sinks: declareSinks([httpSink('raw', hook.url, { payload: 'original' })], ENV),
    relayTiming: FAST_TIMING,
  });
  // Pretty-printed, as some senders do: the body goes on as it came, whitespace and all.
  const body = JSON.stringify(
    groupChange('@TGS#RAW', { Name: 'Raw name', UserDefinedDataList: [{ Key: 'Level', Value: '3' }] }),
    null,
    2,
  );
  await sendCallback(recorder, body);
  await vi.waitFor(() => expect(hook.requests).toHaveLength(1), POLL);
  expect(hook.requests[0]!.body).toBe(body);
  expect(hook.requests[0]!.headers['webhook-id']).toBe(`${(await readLog(recorder))[0]!.sdkAppId}:1`);
});

it(
  'delivers every change, in order per group, when the endpoint goes down mid-stream and comes back',
  {
    timeout: 60_000,
  },
  async () => {
    const hook = await receiver();
    const recorder = await harness.start({
      sinks: declareSinks([httpSink('hook', hook.url, { retry: { ...FAST_RETRY, maxAttempts: 8 } })], ENV),
      relayTiming: FAST_TIMING,
    });
    const sending = sendChanges(recorder, 150, { lanes: 2 });
    await vi.waitFor(() => expect(hook.requests.length).toBeGreaterThanOrEqual(30), POLL);
    await hook.stop();
    await vi.waitFor(
      async () => expect((await sinkStatus(recorder, 'hook')).phase).toBe('unreachable'),
      POLL,
    );
    await sending; // the callback endpoint answered every one OK meanwhile (sendChanges checks)
    await hook.start();

    const logged = await readLog(recorder);
    await vi.waitFor(() => {
      const ids = new Set(hook.requests.map((r) => r.headers['webhook-id']));
      expect(ids.size).toBe(logged.length);
    }, POLL);
    expectAllInOrder(verified(hook.requests), logged);
    expect((await sinkStatus(recorder, 'hook')).deadLetters).toBe(0);
  },
);

it('waits as long as Retry-After says when the endpoint answers 429 or 503', async () => {
  const answers = [429, 503, 200];
  const hook = await receiver(() => ({ status: answers.shift() ?? 200, headers: { 'retry-after': '1' } }));
  const recorder = await harness.start({
    sinks: declareSinks([httpSink('hook', hook.url)], ENV),
    relayTiming: FAST_TIMING,
  });
  await sendChanges(recorder, 1);
  await vi.waitFor(() => expect(hook.requests).toHaveLength(3), POLL);
  const [first, second, third] = hook.requests.map((r) => r.at);
  // The backoff alone would be 10-100 ms; Retry-After asks for a second each time.
  expect(second! - first!).toBeGreaterThanOrEqual(950);
  expect(third! - second!).toBeGreaterThanOrEqual(950);
  expect(new Set(hook.requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
});

it('disables the sink on 410 Gone, delivers nothing more, and goes on from its cursor once re-enabled', async () => {
  const hook = await receiver(() => ({ status: 410 }));
  const recorder = await harness.start({
    sinks: declareSinks([httpSink('hook', hook.url)], ENV),
    relayTiming: FAST_TIMING,
  });
  await sendChanges(recorder, 3, { groups: 1 });
  await vi.waitFor(async () => expect((await sinkStatus(recorder, 'hook')).disabled).toBe(true), POLL);
  await sendChanges(recorder, 3, { groups: 1, from: 3 });
  const status = await sinkStatus(recorder, 'hook');
  expect(status).toMatchObject({ disabled: true, phase: 'disabled', cursor: 0, lagEvents: 6 });
  expect(status.disabledReason).toMatch(/410/);
  expect(hook.requests).toHaveLength(1);

  hook.answer = () => ({ status: 200 });
  const enabled = await relayAction(recorder, 'hook', 'enable');
  expect(enabled.status).toBe(200);
  expect(enabled.json).toMatchObject({ disabled: false });
  const logged = await readLog(recorder);
  await vi.waitFor(() => expect(hook.requests.length).toBe(7), POLL);
  expect(expectAllInOrder(verified(hook.requests.slice(1)), logged)).toBe(0);
});

it(
  'dead-letters the changes of an endpoint that always fails, then redrive delivers them once it heals, other sinks and the callback endpoint unaffected',
  {
    timeout: 60_000,
  },
  async () => {
    const failing = await receiver(() => ({ status: 500 }));
    const healthy = await receiver();
    const recorder = await harness.start({
      sinks: declareSinks([httpSink('failing', failing.url), httpSink('healthy', healthy.url)], ENV),
      relayTiming: FAST_TIMING,
    });
    const answerMs: number[] = [];
    for (let n = 0; n < 10; n++) {
      const started = performance.now();
      const answer = await sendCallback(recorder, groupChange(`@TGS#DEAD${n % 3}`, { Name: `dead-${n}` }));
      answerMs.push(performance.now() - started);
      expect(answer.json).toMatchObject({ ActionStatus: 'OK' });
    }
    expect(Math.max(...answerMs)).toBeLessThan(1_000);
    const logged = await readLog(recorder);

    await vi.waitFor(async () => expect((await sinkStatus(recorder, 'failing')).deadLetters).toBe(10), POLL);
    const dead = await sinkStatus(recorder, 'failing');
    expect(dead.letters.map((l) => l.seq)).toEqual(logged.map((e) => e.seq));
    expect(dead.letters.every((l) => l.attempts === FAST_RETRY.maxAttempts && /HTTP 500/.test(l.error))).toBe(
      true,
    );
    expect(dead).toMatchObject({ lagEvents: 0, disabled: false });
    expect(failing.requests).toHaveLength(10 * FAST_RETRY.maxAttempts);
    // The healthy sink got everything, in order, meanwhile.
    await vi.waitFor(() => expect(healthy.requests).toHaveLength(10), POLL);
    expect(expectAllInOrder(verified(healthy.requests), logged)).toBe(0);

    failing.answer = () => ({ status: 200 });
    const failedSoFar = failing.requests.length;
    const redrive = await relayAction(recorder, 'failing', 'redrive');
    expect(redrive).toEqual({ status: 200, json: { sink: 'failing', redriven: 10 } });
    await vi.waitFor(async () => expect((await sinkStatus(recorder, 'failing')).deadLetters).toBe(0), POLL);
    const redriven = verified(failing.requests.slice(failedSoFar));
    expect(expectAllInOrder(redriven, logged)).toBe(0);
  },
);

/** A sink straight on `url`, outside a recorder, with the given connection settings. */
function bareSink(url: string, extra: Record<string, unknown> = {}) {
  const [declared] = declareSinks([httpSink('hook', url, extra)], ENV);
  return createHttpSink(declared!.settings as HttpSinkSettings, SECRET);
}

it('sends again what was pipelined behind an answer when the endpoint hangs up after it', async () => {
  const raw = await startRawServer();
  servers.push(raw);
  const sink = bareSink(`http://127.0.0.1:${raw.port}/hook`, { concurrency: 1, pipelining: 4 });
  // The first connection answers its first request, then closes with three requests unanswered.
  raw.onRequest = (request, socket) => {
    if (request.connection === 1 && request.index === 1) {
      request.answer(204, 'Connection: close\r\n');
      socket.end();
    } else if (request.connection > 1) request.answer(204);
  };
  const groups = ['@TGS#A', '@TGS#B', '@TGS#C', '@TGS#D'];
  const outcomes = await sink.deliver(
    groups.map((group, i) => message(i + 1, group)),
    new AbortController().signal,
  );
  expect(outcomes).toEqual([null, null, null, null]);
  const delivered = raw.requests.filter((r) => r.connection > 1 || r.index === 1).map((r) => r.id);
  expect(new Set(delivered)).toEqual(new Set(['app:1', 'app:2', 'app:3', 'app:4']));
  await sink.close();
});

/** Counts the writes (system calls) of sockets whose peer is `port` from now on. */
function countWritesTo(port: number): { readonly count: number } {
  const counter = { count: 0 };
  for (const method of ['_write', '_writev'] as const) {
    const original = Socket.prototype[method] as (...args: unknown[]) => void;
    vi.spyOn(Socket.prototype, method).mockImplementation(function (this: Socket, ...args: unknown[]) {
      if (this.remotePort === port) counter.count++;
      original.apply(this, args);
    });
  }
  return counter;
}

it('sends the requests a connection gets in one tick in one write, and a lone request at once', async () => {
  const raw = await startRawServer((request) => request.answer(204));
  servers.push(raw);
  const writes = countWritesTo(raw.port);
  const sink = bareSink(`http://127.0.0.1:${raw.port}/hook`, { concurrency: 1, pipelining: 4 });
  const signal = new AbortController().signal;
  const groups = ['@TGS#A', '@TGS#B', '@TGS#C', '@TGS#D'];
  expect(
    await sink.deliver(
      groups.map((group, i) => message(i + 1, group)),
      signal,
    ),
  ).toEqual(groups.map(() => null));
  expect(raw.requests.map((r) => [r.id, r.connection])).toEqual([
    ['app:1', 1],
    ['app:2', 1],
    ['app:3', 1],
    ['app:4', 1],
  ]);
  expect(writes.count).toBe(1);
  // Alone on an idle connection: it goes out without waiting for company.
  expect(await sink.deliver([message(5, '@TGS#E')], signal)).toEqual([null]);
  expect(raw.requests.slice(4).map((r) => [r.id, r.connection])).toEqual([['app:5', 1]]);
  expect(writes.count).toBe(2);
  await sink.close();
});

it('loses nothing when the endpoint drops the connection as the next requests are written to it', async () => {
  const raw = await startRawServer();
  servers.push(raw);
  // The first connection answers its first request and is gone at once, while the answer releases
  // the next requests onto it.
  raw.onRequest = (request, socket) => {
    request.answer(204);
    if (request.connection === 1 && request.index === 1) socket.destroy();
  };
  const sink = bareSink(`http://127.0.0.1:${raw.port}/hook`, { concurrency: 1, pipelining: 2 });
  const signal = new AbortController().signal;
  const groups = ['@TGS#A', '@TGS#B', '@TGS#C', '@TGS#D', '@TGS#E', '@TGS#F'];
  const messages = groups.map((group, i) => message(i + 1, group));
  const outcomes = await sink.deliver(messages, signal);
  for (const outcome of outcomes) expect([null, 'failed']).toContain(outcome?.kind ?? null);
  // What failed is delivered when the relay sends it again.
  const failed = messages.filter((_, i) => outcomes[i] !== null);
  expect(await sink.deliver(failed, signal)).toEqual(failed.map(() => null));
  await sink.close();
});

it('fails a change left unanswered for timeoutMs, and still delivers the ones pipelined behind it', async () => {
  const raw = await startRawServer((request) => {
    if (request.id !== 'app:1' || request.connection > 1) request.answer(204);
  });
  servers.push(raw);
  const sink = bareSink(`http://127.0.0.1:${raw.port}/hook`, {
    concurrency: 1,
    pipelining: 4,
    timeoutMs: 300,
  });
  const outcomes = await sink.deliver(
    ['@TGS#A', '@TGS#B', '@TGS#C'].map((group, i) => message(i + 1, group)),
    new AbortController().signal,
  );
  expect(outcomes[0]).toMatchObject({
    kind: 'failed',
    message: expect.stringMatching(/timeout/i) as unknown,
  });
  expect(outcomes.slice(1)).toEqual([null, null]);
  await sink.close();
});

it('says unreachable, not failed, when nothing listens at the endpoint', async () => {
  const raw = await startRawServer();
  const port = raw.port;
  await raw.close();
  const sink = bareSink(`http://127.0.0.1:${port}/hook`);
  const outcomes = await sink.deliver([message(1, '@TGS#A')], new AbortController().signal);
  expect(outcomes[0]).toMatchObject({
    kind: 'unreachable',
    message: expect.stringMatching(/ECONNREFUSED/) as unknown,
  });
  await sink.close();
});

it('sends nothing more, and leaves the rest undelivered, once the relay stops', async () => {
  const raw = await startRawServer();
  servers.push(raw);
  const sink = bareSink(`http://127.0.0.1:${raw.port}/hook`, { concurrency: 1, pipelining: 1 });
  const stop = new AbortController();
  const delivering = sink.deliver(
    ['@TGS#A', '@TGS#B', '@TGS#C'].map((group, i) => message(i + 1, group)),
    stop.signal,
  );
  await vi.waitFor(() => expect(raw.requests).toHaveLength(1));
  stop.abort();
  const outcomes = await delivering;
  expect(outcomes.map((o) => o?.kind)).toEqual(['deferred', 'deferred', 'deferred']);
  expect(raw.requests).toHaveLength(1);
  await sink.close();
});

it('counts an answer whose body runs past 64 KiB without reading the rest, on a connection it then closes', async () => {
  const raw = await startRawServer();
  servers.push(raw);
  // The first answer announces 1 MiB and sends 80 KiB of it: reading it to the end would hang.
  raw.onRequest = (request, socket) => {
    if (request.connection === 1) {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${1024 * 1024}\r\n\r\n${'x'.repeat(80 * 1024)}`);
    } else request.answer(204);
  };
  const sink = bareSink(`http://127.0.0.1:${raw.port}/hook`, { concurrency: 1, pipelining: 1 });
  const outcomes = await sink.deliver(
    [message(1, '@TGS#A'), message(2, '@TGS#B')],
    new AbortController().signal,
  );
  expect(outcomes).toEqual([null, null]);
  expect(raw.requests.map((r) => [r.id, r.connection])).toEqual([
    ['app:1', 1],
    ['app:2', 2],
  ]);
  await sink.close();
});

it('gives up every request pipelined on a connection at once when the relay stops', async () => {
  const raw = await startRawServer();
  servers.push(raw);
  const sink = bareSink(`http://127.0.0.1:${raw.port}/hook`, { concurrency: 1, pipelining: 4 });
  const stop = new AbortController();
  const delivering = sink.deliver(
    ['@TGS#A', '@TGS#B', '@TGS#C'].map((group, i) => message(i + 1, group)),
    stop.signal,
  );
  await vi.waitFor(() => expect(raw.requests).toHaveLength(3));
  const stoppedAt = Date.now();
  stop.abort();
  const outcomes = await delivering;
  expect(Date.now() - stoppedAt).toBeLessThan(1_000);
  expect(outcomes.map((o) => o?.kind)).toEqual(['deferred', 'deferred', 'deferred']);
  await sink.close();
});
