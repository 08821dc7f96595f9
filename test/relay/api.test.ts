import { afterEach, expect, it, vi } from 'vitest';
import type { SinkStatus } from '../../src/relay/index.js';
import { createHarness, metricValue, POLL, request } from '../server/support.js';
import {
  declareSinks,
  FAST_RETRY,
  FAST_TIMING,
  newWebhookSecret,
  readLog,
  relayAction,
  sendChanges,
  sinkStatus,
  startWebhookReceiver,
  type WebhookReceiver,
} from './support.js';

const harness = createHarness();
const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  await harness.cleanup();
  for (const receiver of receivers.splice(0)) await receiver.stop();
});

const ENV = { HOOK_SECRET: newWebhookSecret() };

async function startWithHooks(options: { apiToken?: string; failing?: boolean } = {}) {
  const ok = await startWebhookReceiver();
  const failing = await startWebhookReceiver(() => ({ status: 500 }));
  receivers.push(ok, failing);
  const sinks = [
    { name: 'ok', type: 'http', url: ok.url, secretEnv: 'HOOK_SECRET', retry: FAST_RETRY },
    ...(options.failing
      ? [{ name: 'failing', type: 'http', url: failing.url, secretEnv: 'HOOK_SECRET', retry: FAST_RETRY }]
      : []),
  ];
  const recorder = await harness.start({
    sinks: declareSinks(sinks, ENV),
    relayTiming: FAST_TIMING,
    ...(options.apiToken ? { apiToken: options.apiToken } : {}),
  });
  return { recorder, ok, failing };
}

it('lists every sink with its cursor, lag and dead letters, and shows the same per sink in /metrics', async () => {
  const { recorder, ok } = await startWithHooks({ failing: true });
  await sendChanges(recorder, 5, { groups: 1 });
  await vi.waitFor(async () => expect((await sinkStatus(recorder, 'failing')).deadLetters).toBe(5), POLL);
  await vi.waitFor(() => expect(ok.requests).toHaveLength(5), POLL);

  const answer = await request(recorder, '/api/relay');
  expect(answer.status).toBe(200);
  const { sinks } = answer.json as { sinks: SinkStatus[] };
  expect(sinks.map((s) => s.sink)).toEqual(['failing', 'ok']);
  expect(sinks[0]).toMatchObject({ type: 'http', cursor: 5, lastSeq: 5, lagEvents: 0, deadLetters: 5 });
  expect(sinks[0]!.lastError).toMatch(/HTTP 500/);
  expect(sinks[1]).toMatchObject({
    type: 'http',
    phase: 'idle',
    cursor: 5,
    lagEvents: 0,
    deadLetters: 0,
    delivered: 5,
  });

  const letters = await request(recorder, '/api/relay/failing/dead-letters?limit=2');
  expect(letters.json).toMatchObject({ deadLetters: [{ seq: 1 }, { seq: 2 }], next: 2 });
  const rest = await request(recorder, '/api/relay/failing/dead-letters?after=2');
  expect(rest.json).toMatchObject({ deadLetters: [{ seq: 3 }, { seq: 4 }, { seq: 5 }], next: null });

  const scrape = (await request(recorder, '/metrics')).text;
  expect(metricValue(scrape, 'timhook_relay_delivered_total{sink="ok"}')).toBe(5);
  expect(metricValue(scrape, 'timhook_relay_failures_total{sink="failing"}')).toBe(
    5 * FAST_RETRY.maxAttempts,
  );
  expect(metricValue(scrape, 'timhook_relay_dead_lettered_total{sink="failing"}')).toBe(5);
  expect(metricValue(scrape, 'timhook_relay_dead_letters{sink="failing"}')).toBe(5);
  expect(metricValue(scrape, 'timhook_relay_lag_events{sink="ok"}')).toBe(0);
  expect(metricValue(scrape, 'timhook_relay_lag_seconds{sink="ok"}')).toBe(0);
  expect(metricValue(scrape, 'timhook_relay_disabled{sink="ok"}')).toBe(0);
  expect(metricValue(scrape, 'timhook_relay_delivery_delay_seconds_count{sink="ok"}')).toBe(5);
});

it('replays a sink from a seq, or from the first change received at or after a time', async () => {
  const { recorder, ok } = await startWithHooks();
  await sendChanges(recorder, 4, { groups: 1 });
  await vi.waitFor(() => expect(ok.requests).toHaveLength(4), POLL);
  const logged = await readLog(recorder);

  const fromSeq = await relayAction(recorder, 'ok', 'replay', { from: 3 });
  expect(fromSeq.status).toBe(200);
  await vi.waitFor(() => expect(ok.requests).toHaveLength(6), POLL);
  expect(ok.requests.slice(4).map((r) => r.headers['webhook-id'])).toEqual(['1400000000:3', '1400000000:4']);

  const since = new Date(logged[1]!.receivedAt).toISOString();
  expect((await relayAction(recorder, 'ok', 'replay', { since })).status).toBe(200);
  await vi.waitFor(() => expect(ok.requests.length).toBeGreaterThanOrEqual(9), POLL);
  const replayed = ok.requests.slice(6).map((r) => r.headers['webhook-id']);
  expect(replayed[replayed.length - 1]).toBe('1400000000:4');
  expect(replayed.length).toBeGreaterThanOrEqual(3);
});

it('refuses bad operator requests with a clear error: unknown sink, bad body, wrong method, another site', async () => {
  const { recorder } = await startWithHooks();
  expect(await relayAction(recorder, 'nope', 'redrive')).toMatchObject({
    status: 404,
    json: { error: { code: 'unknown_sink' } },
  });
  expect(await relayAction(recorder, 'ok', 'replay', { from: 0 })).toMatchObject({
    status: 400,
    json: { error: { code: 'bad_parameter' } },
  });
  expect(await relayAction(recorder, 'ok', 'replay', { from: 1, since: 0 })).toMatchObject({ status: 400 });
  expect(await relayAction(recorder, 'ok', 'replay', { since: 'yesterday-ish' })).toMatchObject({
    status: 400,
  });
  const notJson = await request(recorder, '/api/relay/ok/replay', { method: 'POST', body: '{from' });
  expect(notJson.json).toMatchObject({ error: { code: 'bad_json' } });
  expect((await request(recorder, '/api/relay/ok/redrive')).status).toBe(405);
  expect((await request(recorder, '/api/relay', { method: 'POST' })).status).toBe(405);
  const crossSite = await request(recorder, '/api/relay/ok/redrive', {
    method: 'POST',
    headers: { origin: 'https://evil.example' },
  });
  expect(crossSite).toMatchObject({ status: 403, json: { error: { code: 'cross_site' } } });
});

it('asks for the API token on every relay route when one is set', async () => {
  const { recorder } = await startWithHooks({ apiToken: 'relay-api-token' });
  expect((await request(recorder, '/api/relay')).status).toBe(401);
  expect((await request(recorder, '/api/relay/ok/redrive', { method: 'POST' })).status).toBe(401);
  const allowed = await request(recorder, '/api/relay/ok/redrive', {
    method: 'POST',
    headers: { authorization: 'Bearer relay-api-token' },
  });
  expect(allowed).toMatchObject({ status: 200, json: { sink: 'ok', redriven: 0 } });
});

it('answers an empty list when the recorder has no sinks', async () => {
  const recorder = await harness.start();
  expect((await request(recorder, '/api/relay')).json).toEqual({ sinks: [] });
  expect((await relayAction(recorder, 'any', 'enable')).status).toBe(404);
});
