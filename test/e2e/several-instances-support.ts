import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterEach, expect, vi } from 'vitest';
import type { SinkStatus } from '../../src/relay/index.js';
import type { RecordedEvent } from '../../src/store/index.js';
import { type Spawned, sendChange, spawnCli } from '../cli/support.js';
import { FAST_RETRY, type Received, REDIS_PORT, uniqueName } from '../relay/support.js';
import { type ChangeFrame, openStream, POLL } from '../server/support.js';
import { TEST_PG_URL } from '../store/postgres-support.js';

/** `postgres://…?schema=<schema>`: the database URL `timhook serve --db` takes for one schema. */
export function schemaUrl(schema: string): string {
  const url = new URL(TEST_PG_URL);
  url.searchParams.set('schema', schema);
  return url.toString();
}

/** A running `timhook serve`: its process, base URL and pid (the pid is in its relay lease owner id). */
export interface Instance {
  serve: Spawned;
  url: string;
  pid: number;
}

/** Whether the process is still running. */
export function isRunning(instance: Instance): boolean {
  return instance.serve.child.exitCode === null && instance.serve.child.signalCode === null;
}

/** SIGKILLs `instance` and resolves once it is gone, with how it ended. */
export async function killInstance(instance: Instance): Promise<number | string> {
  if (isRunning(instance)) instance.serve.child.kill('SIGKILL');
  return instance.serve.exited;
}

/**
 * Spawns `timhook serve` instances for one test file; each test's are SIGKILLed after it (and
 * awaited, so that their database connections are gone before the schemas are dropped).
 */
export function useInstances(): {
  start(db: string, extra?: string[], env?: NodeJS.ProcessEnv): Promise<Instance>;
} {
  const running: Instance[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map(killInstance));
  });
  return {
    async start(db, extra = [], env = {}) {
      // startServe's arguments (sendChange signs for them), with the process tracked before it is ready.
      const serve = spawnCli(
        ['serve', '--sdk-appid', '1400000001', '--token', 'tok', '--port', '0', '--db', db, ...extra],
        { env },
      );
      const instance: Instance = { serve, url: '', pid: serve.child.pid! };
      running.push(instance);
      const [, url] = await serve.waitFor(/listening on (http:\/\/\S+)/);
      instance.url = url!;
      return instance;
    },
  };
}

/** Reads every page of `path` (an event list answering `{ events, next }`), following `cursor`. */
export async function readPaged(
  base: string,
  path: string,
  cursor: 'after' | 'before',
  limit = 50,
): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  const url = new URL(path, base);
  url.searchParams.set('limit', String(limit));
  for (;;) {
    const response = await fetch(url);
    if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
    const page = (await response.json()) as { events: RecordedEvent[]; next: number | null };
    events.push(...page.events);
    if (page.next === null) return events;
    url.searchParams.set(cursor, String(page.next));
  }
}

/** The whole log, oldest first, paged through `GET /api/events?after=` of `base`. */
export function readEvents(base: string, limit = 50): Promise<RecordedEvent[]> {
  return readPaged(base, '/api/events?after=0', 'after', limit);
}

/** `GET <base><path>` as JSON; throws unless it answers 200. */
export async function getJson<T>(base: string, path: string): Promise<T> {
  const response = await fetch(new URL(path, base));
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
  return (await response.json()) as T;
}

/** A `/api/stream` connection whose change frames are collected as they arrive. */
export interface StreamRecording {
  readonly frames: ChangeFrame[];
  close(): void;
}

/** Opens `<base>/api/stream<query>` and collects its change frames in the background until closed. */
export async function recordStream(base: string, query: string): Promise<StreamRecording> {
  const stream = await openStream(`${base}/api/stream${query}`);
  if (stream.status !== 200) throw new Error(`GET /api/stream answered ${stream.status}`);
  const frames: ChangeFrame[] = [];
  void (async () => {
    for (;;) {
      // `changes` throws once the stream has ended (closed, or the server gone).
      const [frame] = await stream.changes(1).catch(() => [null]);
      if (!frame) return;
      frames.push(frame);
    }
  })();
  return { frames, close: () => stream.close() };
}

/** Sends a signed group change with `fields` to `instance`; true when it answers OK. Throws when unreachable. */
export async function sendOk(instance: Instance, fields: Record<string, unknown>): Promise<boolean> {
  const { answer } = await sendChange(instance.url, fields);
  return answer.ActionStatus === 'OK';
}

/**
 * Sends `fields` as the IM backend does: a FAIL (a commit that could not be answered in time) is
 * sent again, same body, until it is answered OK; resolves with the answers' statuses.
 */
export async function sendUntilOk(instance: Instance, fields: Record<string, unknown>): Promise<string[]> {
  const answers: string[] = [];
  for (;;) {
    const { answer } = await sendChange(instance.url, fields);
    answers.push(answer.ActionStatus);
    if (answer.ActionStatus === 'OK') return answers;
  }
}

function createRedisClient() {
  // No reconnecting: a missing server fails `connect()` at once rather than at the test's timeout.
  return createClient({ url: `redis://127.0.0.1:${REDIS_PORT}`, socket: { reconnectStrategy: false } });
}

/** A client of the project machine's Redis. */
export type RedisClient = ReturnType<typeof createRedisClient>;

/** A Redis connection of one test and a stream key of its own. */
export interface RedisKit {
  client: RedisClient;
  key: string;
}

/**
 * Redis for a test file: `connect()` inside a test (a missing Redis server fails that test, never
 * skips it); the key is deleted and the connection closed after the test.
 */
export function useRedis(): { connect(): Promise<RedisKit> } {
  const opened: RedisKit[] = [];
  afterEach(async () => {
    for (const { client, key } of opened.splice(0)) {
      await client.del(key);
      await client.close();
    }
  });
  return {
    async connect() {
      const client = createRedisClient();
      client.on('error', () => {});
      await client.connect().catch((error: unknown) => {
        throw new Error(`Redis is not reachable at 127.0.0.1:${REDIS_PORT}`, { cause: error });
      });
      const kit = { client, key: uniqueName('timhook-e2e') };
      opened.push(kit);
      return kit;
    },
  };
}

/** Every entry of a Redis stream the redis sink wrote, as the consumer sees it. */
export async function readRedisStream(redis: RedisClient, key: string): Promise<Received[]> {
  const entries = await redis.xRange(key, '-', '+');
  return (entries ?? []).map(({ message }) => ({
    id: message.id!,
    event: JSON.parse(message.payload!) as RecordedEvent,
  }));
}

/**
 * Sends `count` distinct group changes (names `<tag>-<n>`, over `groups` groups), `lanes` at a
 * time, to `targets` in turn; throws unless every one is answered OK.
 */
export async function sendSpread(
  targets: readonly Instance[],
  count: number,
  options: { tag: string; groups?: number; lanes?: number },
): Promise<void> {
  const { tag, groups = 5, lanes = 10 } = options;
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) {
        const n = next++;
        const fields = { GroupId: `@TGS#E2E${n % groups}`, Name: `${tag}-${n}` };
        if (!(await sendOk(targets[n % targets.length]!, fields)))
          throw new Error(`${tag}-${n} was not answered OK`);
      }
    }),
  );
}

/** 1, 2, …, n. */
export function oneTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** Values that occur more than once in `values`. */
export function repeated<T>(values: readonly T[]): T[] {
  const seen = new Set<T>();
  return values.filter((value) => seen.has(value) || !seen.add(value));
}

/** Writes, in `dir`, a config file declaring one Redis Streams sink, `redis`, writing to `key`. */
export function writeRedisConfig(dir: string, key: string): string {
  const config = join(dir, 'timhook.config.json');
  const sink = {
    name: 'redis',
    type: 'redis',
    url: `redis://127.0.0.1:${REDIS_PORT}`,
    stream: key,
    timeoutMs: 2_000,
    retry: FAST_RETRY,
  };
  writeFileSync(config, JSON.stringify({ sinks: [sink] }));
  return config;
}

/** The `redis` sink's status as `instance` reports it (`GET /api/relay`). */
export async function redisSinkOf(instance: Instance): Promise<SinkStatus> {
  const { sinks } = await getJson<{ sinks: SinkStatus[] }>(instance.url, '/api/relay');
  const sink = sinks.find((s) => s.sink === 'redis');
  if (!sink) throw new Error(`${instance.url} reports no redis sink`);
  return sink;
}

/** The pid in the sink's lease owner id (`host:pid:nonce`); NaN while no one holds it. */
export function leasePid(sink: SinkStatus): number {
  return Number(sink.leaseOwner?.split(':')[1]);
}

/** Waits until one of `pair` holds the sink's lease; resolves with it. */
export function waitForHolder(pair: readonly [Instance, Instance]): Promise<Instance> {
  return vi.waitFor(async () => {
    const pid = leasePid(await redisSinkOf(pair[0]));
    expect(pair.map((instance) => instance.pid)).toContain(pid);
    return pair.find((instance) => instance.pid === pid)!;
  }, POLL);
}

/** Rejects with `message` when `promise` has not settled within `ms` (a liveness deadline). */
export function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** SIGSTOPs `instance` once its commits are flowing (`committed` grows): it stops in the middle of one. */
export async function freezeWhileCommitting(instance: Instance, committed: () => number): Promise<void> {
  const before = committed();
  await vi.waitFor(() => expect(committed()).toBeGreaterThan(before + 5), POLL);
  instance.serve.child.kill('SIGSTOP');
}
