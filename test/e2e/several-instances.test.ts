import postgres from 'postgres';
import { afterEach, expect, it, vi } from 'vitest';
import { runCli, sendChange, tempDir } from '../cli/support.js';
import { APPEND_LOCK } from '../../src/store/postgres/migrations.js';
import { expectAllInOrder } from '../relay/support.js';
import { POLL } from '../server/support.js';
import { TEST_PG_URL, usePostgres } from '../store/postgres-support.js';
import {
  freezeWhileCommitting,
  getJson,
  type Instance,
  killInstance,
  leasePid,
  oneTo,
  readEvents,
  readPaged,
  readRedisStream,
  recordStream,
  redisSinkOf,
  repeated,
  schemaUrl,
  sendOk,
  sendUntilOk,
  sendSpread,
  useInstances,
  useRedis,
  waitForHolder,
  within,
  writeRedisConfig,
} from './several-instances-support.js';

// Black-box tests of several `timhook serve` processes on one PostgreSQL schema (a fresh
// one per test). PostgreSQL (and Redis, for the relay) must be up: these tests fail, never skip.
// Hooks run in reverse: after each test, its instances are killed before its Redis key is deleted.
const pg = usePostgres();
const redis = useRedis();
const instances = useInstances();

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A temporary folder, removed after the test. */
function temp(): string {
  const dir = tempDir();
  cleanups.push(dir.remove);
  return dir.path;
}

/** Two instances on a fresh schema, started at once (their migrations race). */
async function startPair(extra: string[] = []): Promise<{ db: string; a: Instance; b: Instance }> {
  const db = schemaUrl(pg.freshSchema());
  const [a, b] = await Promise.all([instances.start(db, extra), instances.start(db, extra)]);
  return { db, a, b };
}

it(
  'keeps every callback answered OK by either of two instances exactly once, with no hole in the seqs, when one is SIGKILLed mid-stream; the survivor streamed them all in order',
  { timeout: 60_000 },
  async () => {
    const { a, b } = await startPair();
    const stream = await recordStream(b.url, '?after=0');
    cleanups.push(stream.close);

    const TOTAL = 400;
    const eventTime = Date.now();
    const bodies = Array.from({ length: TOTAL }, (_, n) => ({
      GroupId: `@TGS#E2E${n % 5}`,
      Name: `n${n}`,
      EventTime: eventTime + n,
    }));
    const acknowledged = new Set<string>();
    const okFromA: typeof bodies = [];
    let killing: Promise<number | string> | null = null;
    let resent = 0;
    // Even bodies go to A, odd ones to B. What A does not answer OK (it is gone) the IM backend
    // sends again, the same body, here to B.
    const deliver = async (n: number) => {
      const body = bodies[n]!;
      const first = n % 2 === 0 ? a : b;
      let ok = false;
      try {
        ok = await sendOk(first, body);
      } catch (error) {
        if (first === b) throw error;
      }
      if (ok && first === a) okFromA.push(body);
      for (let attempt = 0; !ok && attempt < 5; attempt++) {
        resent++;
        ok = await sendOk(b, body);
      }
      if (ok) acknowledged.add(body.Name);
      if (!killing && acknowledged.size >= TOTAL / 2) killing = killInstance(a);
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < TOTAL) await deliver(next++);
      }),
    );
    expect(await killing).toBe('SIGKILL');
    expect(resent).toBeGreaterThan(0);
    // Retries of callbacks A had answered (as after a timeout at the IM backend): OK from B, not logged again.
    const retried = okFromA.slice(0, 20);
    expect(await Promise.all(retried.map((body) => sendOk(b, body)))).toEqual(retried.map(() => true));
    expect(acknowledged.size).toBe(TOTAL);

    const log = await readEvents(b.url);
    const names = log.map((event) => event.changes.Name);
    expect(repeated(names)).toEqual([]);
    expect(names.toSorted()).toEqual([...acknowledged].sort());
    expect(log.map((event) => event.seq)).toEqual(oneTo(log.length));

    await vi.waitFor(() => expect(stream.frames.length).toBeGreaterThanOrEqual(log.length), {
      timeout: 15_000,
      interval: 20,
    });
    expect(stream.frames.map((frame) => frame.id)).toEqual(log.map((event) => event.seq));
    expect(stream.frames.map((frame) => frame.event.changes.Name)).toEqual(names);
  },
);

it(
  "logs a duplicate delivered to both instances at the same moment once, both answer OK, and each instance's stream shows what the other logged",
  { timeout: 30_000 },
  async () => {
    const { a, b } = await startPair();
    const streams = await Promise.all([recordStream(a.url, '?after=0'), recordStream(b.url, '?after=0')]);
    for (const stream of streams) cleanups.push(stream.close);
    const eventTime = Date.now();
    const bodies = Array.from({ length: 20 }, (_, n) => ({
      GroupId: `@TGS#DUP${n % 3}`,
      Name: `dup-${n}`,
      EventTime: eventTime + n,
    }));
    const answers = await Promise.all(bodies.map((body) => Promise.all([sendOk(a, body), sendOk(b, body)])));
    expect(answers).toEqual(bodies.map(() => [true, true]));
    // Then one change on each instance alone: only the log's notification can bring it to the other.
    expect(await sendOk(a, { GroupId: '@TGS#DUP0', Name: 'only-a' })).toBe(true);
    expect(await sendOk(b, { GroupId: '@TGS#DUP0', Name: 'only-b' })).toBe(true);

    const log = await readEvents(b.url);
    const names = log.map((event) => event.changes.Name);
    expect(names.toSorted()).toEqual([...bodies.map((body) => body.Name), 'only-a', 'only-b'].sort());
    expect(log.map((event) => event.seq)).toEqual(oneTo(bodies.length + 2));
    for (const stream of streams) {
      await vi.waitFor(() => expect(stream.frames.length).toBeGreaterThanOrEqual(log.length), POLL);
      expect(stream.frames.map((frame) => frame.id)).toEqual(log.map((event) => event.seq));
      expect(stream.frames.map((frame) => frame.event.changes.Name)).toEqual(names);
    }
  },
);

it('keeps the newest value of each field by EventTime, and every change in the history, when both instances change one group at once', async () => {
  const { a, b } = await startPair();
  const GROUP = '@TGS#SAME';
  const FIELDS = ['Name', 'Introduction', 'Notification', 'FaceUrl'] as const;
  const base = Date.now() - 1_000_000;
  // Distinct EventTimes in a random order: arrival order and EventTime order disagree.
  const times = Array.from({ length: 80 }, (_, i) => base + i * 7).sort(() => Math.random() - 0.5);
  const newest = new Map<string, { time: number; value: string }>();
  const bodies = times.map((time, i) => {
    const body: Record<string, unknown> = { GroupId: GROUP, EventTime: time };
    const fields = i % 3 === 0 ? [FIELDS[i % 4]!, FIELDS[(i + 1) % 4]!] : [FIELDS[i % 4]!];
    for (const field of fields) body[field] = `${field[0]}${time}`;
    if (i % 5 === 0) body.UserDefinedDataList = [{ Key: 'Tier', Value: `T${time}` }];
    for (const [field, value] of Object.entries(body)) {
      if (field === 'GroupId' || field === 'EventTime') continue;
      const key = field === 'UserDefinedDataList' ? 'Tier' : field;
      const text = field === 'UserDefinedDataList' ? `T${time}` : (value as string);
      if ((newest.get(key)?.time ?? -1) < time) newest.set(key, { time, value: text });
    }
    return body;
  });

  let next = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next < bodies.length) {
        const i = next++;
        expect(await sendOk(i % 2 === 0 ? a : b, bodies[i]!)).toBe(true);
      }
    }),
  );

  const path = `/api/groups/${encodeURIComponent(GROUP)}`;
  const expected = {
    Name: newest.get('Name')!.value,
    Introduction: newest.get('Introduction')!.value,
    Notification: newest.get('Notification')!.value,
    FaceUrl: newest.get('FaceUrl')!.value,
    customFields: { Tier: newest.get('Tier')!.value },
  };
  for (const instance of [a, b]) {
    const group = await getJson<{ profile: unknown; changeCount: number }>(instance.url, path);
    expect(group.profile).toEqual(expected);
    expect(group.changeCount).toBe(bodies.length);
    const history = await readPaged(instance.url, `${path}/history`, 'before', 25);
    expect(history.map((event) => event.eventTime).toSorted((x, y) => x! - y!)).toEqual(
      times.toSorted((x, y) => x - y),
    );
    expect(history.map((event) => event.seq)).toEqual(oneTo(bodies.length).reverse());
    // Some changes did arrive after a newer one: they are logged, marked superseded.
    expect(history.some((event) => (event.superseded?.length ?? 0) > 0)).toBe(true);
  }
});

it(
  'hands the Redis sink to the other instance when the lease holder is SIGKILLed: every change arrives, in order per group',
  { timeout: 60_000 },
  async () => {
    const { client, key } = await redis.connect();
    const config = writeRedisConfig(temp(), key);
    const { a, b } = await startPair(['--config', config]);
    await sendSpread([a, b], 150, { tag: 'before' });
    // Killed as soon as known: it may not have delivered (or checkpointed) all 150 yet.
    const holder = await waitForHolder([a, b]);
    const survivor = holder === a ? b : a;

    const killedAt = Date.now();
    expect(await killInstance(holder)).toBe('SIGKILL');
    const takeover = vi.waitFor(
      async () => {
        const sink = await redisSinkOf(survivor);
        expect(leasePid(sink)).toBe(survivor.pid);
        expect(sink.phase).not.toBe('standby');
        return Date.now() - killedAt;
      },
      { timeout: 30_000, interval: 20 },
    );
    takeover.catch(() => {}); // awaited below; handled here should the test fail before
    await sendSpread([survivor], 100, { tag: 'after' });
    const log = await readEvents(survivor.url);
    expect(log).toHaveLength(250);
    await vi.waitFor(
      async () => expect(new Set((await readRedisStream(client, key)).map((r) => r.id)).size).toBe(250),
      { timeout: 30_000, interval: 50 },
    );
    const caughtUp = Date.now() - killedAt;
    const duplicates = expectAllInOrder(await readRedisStream(client, key), log);
    console.info(
      `relay failover (SIGKILL): lease taken ${await takeover} ms after the kill; all 250 changes in the stream after ${caughtUp} ms; ${duplicates} sent twice`,
    );
  },
);

it(
  'goes on answering on the other instance at once, and hands it the Redis sink once the lease expires, when the lease holder hangs (SIGSTOP) while it commits',
  { timeout: 60_000 },
  async () => {
    const { client, key } = await redis.connect();
    const config = writeRedisConfig(temp(), key);
    const db = schemaUrl(pg.freshSchema());
    const [a, b] = await Promise.all([
      instances.start(db, ['--config', config]),
      instances.start(db, ['--config', config]),
    ]);
    const holder = await waitForHolder([a, b]);
    const survivor = holder === a ? b : a;

    // Load on the holder until it hangs; its requests then stay unanswered until it is killed.
    let committed = 0;
    let frozen = false;
    for (let lane = 0; lane < 10; lane++) {
      void (async () => {
        for (let n = lane; !frozen; n += 10) {
          const ok = await sendOk(holder, { GroupId: `@TGS#E2E${n % 5}`, Name: `load-${n}` }).catch(
            () => false,
          );
          if (ok) committed++;
        }
      })();
    }
    await freezeWhileCommitting(holder, () => committed);
    frozen = true;
    const stoppedAt = Date.now();

    // An append holds the append lock only while the database works on it, never while it waits
    // for its instance (postgres/append.ts): the frozen holder keeps the survivor from nothing.
    const answers = await within(
      sendUntilOk(survivor, { GroupId: '@TGS#E2E0', Name: 'while-frozen' }),
      5_000,
      'the other instance did not answer while the holder was frozen',
    );
    expect(answers).toEqual(['OK']);
    await sendSpread([survivor], 50, { tag: 'after' });
    const takeover = await vi.waitFor(
      async () => {
        expect(leasePid(await redisSinkOf(survivor))).toBe(survivor.pid);
        return Date.now() - stoppedAt;
      },
      { timeout: 30_000, interval: 50 },
    );
    const log = await readEvents(survivor.url);
    expect(log.length).toBeGreaterThanOrEqual(committed + 51);
    expect(log.filter((event) => event.changes.Name === 'while-frozen')).toHaveLength(1);
    await vi.waitFor(
      async () =>
        expect(new Set((await readRedisStream(client, key)).map((r) => r.id)).size).toBe(log.length),
      { timeout: 15_000, interval: 50 },
    );
    expectAllInOrder(await readRedisStream(client, key), log);
    console.info(`relay failover (SIGSTOP): lease taken ${takeover} ms after the stop`);
  },
);

it('answers FAIL in time while a stalled session holds the append lock, and OK once PostgreSQL ends that session', async () => {
  // As an instance frozen between the two round trips of an append read under the lock (when
  // another instance changed its group in between): its session holds the lock, idle, until
  // PostgreSQL ends it after 2 s (timhook's sessions ask for that, postgres/connect.ts).
  const schema = pg.freshSchema();
  const one = await instances.start(schemaUrl(schema));
  expect(await sendOk(one, { GroupId: '@TGS#E2E0', Name: 'before' })).toBe(true);
  // A client of its own: the session PostgreSQL ends is not returned to a pool anyone uses.
  const client = postgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
  cleanups.push(() => client.end({ timeout: 0 }));
  const stalled = await client.reserve();
  await stalled`SET idle_in_transaction_session_timeout = '2s'`;
  await stalled`BEGIN`;
  await stalled`SELECT pg_advisory_xact_lock(${APPEND_LOCK}, hashtext(${schema}))`;
  const stalledAt = Date.now();

  const first = await sendChange(one.url, { GroupId: '@TGS#E2E0', Name: 'while-stalled' });
  // Answered before the IM backend's 2 s deadline, with a FAIL it retries on.
  expect(Date.now() - stalledAt).toBeLessThan(2_000);
  expect([first.status, first.answer.ActionStatus]).toEqual([503, 'FAIL']);
  const answers = await within(
    sendUntilOk(one, { GroupId: '@TGS#E2E0', Name: 'while-stalled' }),
    15_000,
    'the instance did not answer OK once the stalled session was gone',
  );
  expect(answers.at(-1)).toBe('OK');
  const log = await readEvents(one.url);
  expect(log.map((event) => event.changes.Name)).toEqual(['before', 'while-stalled']);
});

it("prints a sink's state from the PostgreSQL database with `timhook relay status --db`", async () => {
  const { client, key } = await redis.connect();
  const config = writeRedisConfig(temp(), key);
  const db = schemaUrl(pg.freshSchema());
  const one = await instances.start(db, ['--config', config]);
  await sendSpread([one], 20, { tag: 'status' });
  await vi.waitFor(async () => expect(await client.xLen(key)).toBe(20), POLL);
  // In Redis is not yet acknowledged: wait until the relay has taken the acks (a stop before then
  // leaves them to be sent again, at least once, and the cursor short of 20).
  await vi.waitFor(async () => {
    const sink = (await (await fetch(`${one.url}/api/relay/redis`)).json()) as { cursor: number };
    expect(sink.cursor).toBe(20);
  }, POLL);
  // A graceful stop writes the last cursor and frees the lease: what follows is read from the database.
  one.serve.child.kill('SIGTERM');
  expect(await one.serve.exited).toBe(0);

  const table = await runCli(['relay', 'status', '--db', db]);
  expect(table.code, table.stderr).toBe(0);
  const [header, row, ...rest] = table.stdout.trimEnd().split('\n');
  expect(header).toMatch(
    /^SINK\s+TYPE\s+STATE\s+CURSOR\s+LAG\s+LAG S\s+DELIVERED\s+DEAD LETTERS\s+LAST ERROR$/,
  );
  expect(row).toMatch(/^redis\s+-\s+-\s+20\s+0\s+0\.0\s+20\s+0\s+-$/);
  expect(rest).toEqual([]);

  const json = await runCli(['relay', 'status', '--db', db, '--sink', 'redis', '--json']);
  expect(json.code, json.stderr).toBe(0);
  expect(JSON.parse(json.stdout)).toMatchObject({
    sink: 'redis',
    cursor: 20,
    lastSeq: 20,
    lagEvents: 0,
    delivered: 20,
    deadLetters: 0,
    leaseOwner: null,
    letters: [],
  });
});
