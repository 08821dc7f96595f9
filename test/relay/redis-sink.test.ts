import { createClient } from 'redis';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { RecordedEvent } from '../../src/store/index.js';
import { createHarness, POLL, sendCallback, topicChange } from '../server/support.js';
import {
  declareSinks,
  expectAllInOrder,
  expectOutageSurvived,
  FAST_RETRY,
  FAST_TIMING,
  REDIS_PORT,
  type Received,
  readLog,
  sendChanges,
  startTcpProxy,
  type TcpProxy,
  uniqueName,
} from './support.js';

const harness = createHarness();
let redis: ReturnType<typeof createClient>;
let prefix: string;
let proxy: TcpProxy | null = null;

// A missing Redis server fails here: these tests never skip.
beforeEach(async () => {
  redis = createClient({ url: `redis://127.0.0.1:${REDIS_PORT}` });
  redis.on('error', () => {});
  await redis.connect();
  prefix = uniqueName('timhook-test');
});

afterEach(async () => {
  await harness.cleanup();
  await proxy?.close();
  proxy = null;
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(keys);
  await redis.close();
});

function redisSink(port: number, extra: Record<string, unknown> = {}) {
  return {
    name: 'redis',
    type: 'redis',
    url: `redis://127.0.0.1:${port}`,
    stream: `${prefix}:{kind}`,
    timeoutMs: 2_000,
    retry: FAST_RETRY,
    ...extra,
  };
}

interface Entry extends Received {
  fields: Record<string, string>;
}

async function readStream(key = `${prefix}:group`): Promise<Entry[]> {
  const entries = await redis.xRange(key, '-', '+');
  return (entries ?? []).map(({ message }) => ({
    id: message.id!,
    event: JSON.parse(message.payload!) as RecordedEvent,
    fields: message as Record<string, string>,
  }));
}

it('appends every change once, in log order, to the stream its key template names', async () => {
  const recorder = await harness.start({
    sinks: declareSinks([redisSink(REDIS_PORT)]),
    relayTiming: FAST_TIMING,
  });
  await sendChanges(recorder, 80);
  await sendCallback(
    recorder,
    topicChange('@TGS#_@TGS#COMM', '@TGS#_@TGS#COMM@TOPIC#_@TOPIC#ONE', { Name: 't' }),
  );
  const logged = await readLog(recorder);
  await vi.waitFor(async () => expect(await redis.xLen(`${prefix}:topic`)).toBe(1), POLL);
  const entries = await readStream();
  expect(expectAllInOrder(entries, logged.slice(0, 80))).toBe(0);
  expect(entries.map((e) => e.event.seq)).toEqual(logged.slice(0, 80).map((e) => e.seq));
  for (const entry of entries) {
    expect(entry.fields).toMatchObject({
      command: 'Group.CallbackAfterGroupInfoChanged',
      groupId: entry.event.groupId,
    });
    expect(entry.event).toEqual(logged.find((e) => e.seq === entry.event.seq));
  }
  const [topic] = await readStream(`${prefix}:topic`);
  expect(topic!.event).toEqual(logged[80]);
});

it('keeps each stream near its bound with XADD MAXLEN ~', async () => {
  const recorder = await harness.start({
    sinks: declareSinks([redisSink(REDIS_PORT, { maxLen: 10 })]),
    relayTiming: FAST_TIMING,
  });
  await sendChanges(recorder, 300);
  const logged = await readLog(recorder);
  await vi.waitFor(async () => {
    const [last] = (await redis.xRevRange(`${prefix}:group`, '+', '-', { COUNT: 1 })) ?? [];
    expect(last?.message.id).toBe(`${logged[299]!.sdkAppId}:${logged[299]!.seq}`);
  }, POLL);
  // "~" trims whole radix-tree nodes (100 entries by default): near the bound, never the whole log.
  const length = await redis.xLen(`${prefix}:group`);
  expect(length).toBeGreaterThanOrEqual(10);
  expect(length).toBeLessThanOrEqual(110);
});

it(
  'appends every change, in order per group, when the Redis server goes away mid-stream and comes back',
  {
    timeout: 60_000,
  },
  async () => {
    proxy = await startTcpProxy(REDIS_PORT);
    const recorder = await harness.start({
      sinks: declareSinks([redisSink(proxy.port)]),
      relayTiming: FAST_TIMING,
    });
    await expectOutageSurvived(recorder, 'redis', proxy, () => readStream());
  },
);
