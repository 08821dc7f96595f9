import type postgres from 'postgres';
import { describe, expect, it, vi } from 'vitest';
import type { AppendResult, ChangeLog, LogEntry } from '../../src/store/index.js';
import { connectPostgres } from '../../src/store/postgres/connect.js';
import { APPEND_LOCK } from '../../src/store/postgres/migrations.js';
import { openPostgresChangeLog } from '../../src/store/postgres/change-log.js';
import { C1, G1, G2, groupChanged, T0, T1, topicChanged, topicCreated, topicsDestroyed } from './entries.js';
import { usePostgres } from './postgres-support.js';

// An append reads and plans its batch without the append lock, then writes it in one statement
// that takes the lock and checks that what it read still holds (postgres/append.ts). These tests
// queue appends behind a lock held by the test, so that each has read before any other writes.
const pg = usePostgres();

/** Two instances on one fresh schema, and the schema. */
async function openPair(): Promise<{ schema: string; a: ChangeLog; b: ChangeLog }> {
  const schema = pg.freshSchema();
  const a = pg.track(await openPostgresChangeLog({ url: pg.url, schema, max: 2 }));
  const b = pg.track(await openPostgresChangeLog({ url: pg.url, schema, max: 2 }));
  return { schema, a, b };
}

/** Takes the append lock of `schema` on a connection of the test's own; `release` commits. */
async function holdAppendLock(schema: string): Promise<{ release: () => Promise<void> }> {
  const tx = await pg.admin().reserve();
  await tx`BEGIN`;
  await tx`SELECT pg_advisory_xact_lock(${APPEND_LOCK}, hashtext(${schema}))`;
  return {
    async release() {
      await tx`COMMIT`;
      tx.release();
    },
  };
}

/** Resolves once `count` sessions wait for the append lock of `schema`: they have read and planned. */
async function appendsWaiting(sql: postgres.Sql, schema: string, count: number): Promise<void> {
  await vi.waitFor(
    async () => {
      const [row] = await sql<Array<{ waiting: number }>>`
        SELECT count(*)::int AS waiting FROM pg_locks
        WHERE locktype = 'advisory' AND NOT granted AND classid::text::bigint = ${APPEND_LOCK}
          AND objid::text::bigint = (hashtext(${schema})::bigint + 4294967296) % 4294967296`;
      expect(row!.waiting).toBe(count);
    },
    { timeout: 5_000, interval: 10 },
  );
}

/** Appends `first` on `a` and then `second` on `b`, each read before either writes. */
async function appendQueued(
  schema: string,
  [a, first]: [ChangeLog, LogEntry[]],
  [b, second]: [ChangeLog, LogEntry[]],
): Promise<[AppendResult[], AppendResult[]]> {
  const lock = await holdAppendLock(schema);
  const fromA = a.append(first);
  await appendsWaiting(pg.admin(), schema, 1);
  const fromB = b.append(second);
  await appendsWaiting(pg.admin(), schema, 2);
  await lock.release();
  return Promise.all([fromA, fromB]);
}

describe('an append planned before another instance wrote', () => {
  it('numbers its events after that append, in its rows, its rendered events and its profiles', async () => {
    const { schema, a, b } = await openPair();
    const [fromA, fromB] = await appendQueued(
      schema,
      [a, [await groupChanged(G1, { Name: 'a1' }), await groupChanged(G1, { Name: 'a2' })]],
      [b, [await groupChanged(G2, { Name: 'b1', Introduction: 'i1' }, { eventTime: T0 })]],
    );
    expect(fromA.map((r) => r.seq)).toEqual([1, 2]);
    expect(fromB.map((r) => r.seq)).toEqual([3]);
    const logged = fromB[0]!;
    if (logged.duplicate) throw new Error('logged as a duplicate');
    expect(logged.event.seq).toBe(3);
    expect(JSON.parse(logged.rendered.json)).toEqual(JSON.parse(JSON.stringify(logged.event)));
    const { events } = await a.listRendered({ after: 0, limit: 10 });
    expect(events.map((event) => [event.seq, JSON.parse(event.json).seq])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(events[2]!.json).toBe(logged.rendered.json);
    const profile = await a.getProfile('group', G2);
    expect(profile).toMatchObject({ firstSeq: 3, lastSeq: 3, changeCount: 1 });
    expect([profile!.fields.Name!.seq, profile!.fields.Introduction!.seq]).toEqual([3, 3]);
    expect((await a.listEvents({ field: 'Introduction', limit: 10 })).events.map((e) => e.seq)).toEqual([3]);
  });

  it('is planned again under the lock when the other append changed one of its groups, losing no field', async () => {
    const { schema, a, b } = await openPair();
    const [fromA, fromB] = await appendQueued(
      schema,
      [a, [await groupChanged(G1, { Name: 'newer' }, { eventTime: T0 + 2, operator: 'a' })]],
      [b, [await groupChanged(G1, { Name: 'older', Introduction: 'intro' }, { eventTime: T0 + 1 })]],
    );
    expect([fromA[0]!.seq, fromB[0]!.seq]).toEqual([1, 2]);
    const profile = await b.getProfile('group', G1);
    expect(profile).toMatchObject({ firstSeq: 1, lastSeq: 2, changeCount: 2 });
    expect(profile!.fields.Name).toMatchObject({ value: 'newer', seq: 1 });
    expect(profile!.fields.Introduction).toMatchObject({ value: 'intro', seq: 2 });
    const [, second] = (await b.listEvents({ after: 0, limit: 10 })).events;
    expect(second).toMatchObject({
      seq: 2,
      superseded: ['Name'],
      diff: [{ field: 'Introduction', from: null, to: 'intro' }],
    });
  });

  it('answers a duplicate with the seq of the other append when that one logged the same callback', async () => {
    const { schema, a, b } = await openPair();
    const same = await groupChanged(G1, { Name: 'twice' });
    const [fromA, fromB] = await appendQueued(
      schema,
      [a, [same]],
      [b, [await groupChanged(G2, { Name: 'other' }), same]],
    );
    expect(fromA).toMatchObject([{ seq: 1, duplicate: false }]);
    expect(fromB).toMatchObject([
      { seq: 2, duplicate: false },
      { seq: 1, duplicate: true },
    ]);
    expect((await a.stats()).events).toBe(2);
  });

  it('is planned again when the other append destroyed one of its topics, and keeps the topic closed', async () => {
    const { schema, a, b } = await openPair();
    await a.append([await topicCreated(C1, T1, { Name: 'topic' }, { at: T0 })]);
    const [, fromB] = await appendQueued(
      schema,
      [a, [await topicsDestroyed(C1, [T1], { at: T0 + 1 })]],
      [b, [await topicChanged(C1, T1, { Name: 'renamed' }, { at: T0 + 2 })]],
    );
    expect(fromB[0]!.seq).toBe(3);
    const topic = await a.getProfile('topic', T1);
    expect(topic).toMatchObject({ destroyedAt: T0 + 1, lastSeq: 3, changeCount: 3 });
    expect(topic!.fields.Name).toMatchObject({ value: 'renamed', seq: 3 });
  });
});

describe('the group commit of the PostgreSQL change log', () => {
  it('commits the appends made in one tick in one transaction, and answers each its own results', async () => {
    const { a } = await openPair();
    const commits: number[][] = [];
    a.onCommit((results) => commits.push(results.map((r) => r.seq)));
    const [one, two] = await Promise.all([
      a.append([await groupChanged(G1, { Name: 'one' })]),
      a.append([await groupChanged(G2, { Name: 'two' }), await groupChanged(G1, { Name: 'three' })]),
    ]);
    expect(commits).toEqual([[1, 2, 3]]);
    expect(one!.map((r) => r.seq)).toEqual([1]);
    expect(two!.map((r) => r.seq)).toEqual([2, 3]);
  });

  it('takes the appends made while its commit waited for the lock into the commit it plans again under the lock', async () => {
    const { schema, a, b } = await openPair();
    const commits: number[][] = [];
    b.onCommit((results) => commits.push(results.map((r) => r.seq)));
    const lock = await holdAppendLock(schema);
    const fromA = a.append([await groupChanged(G1, { Name: 'a' })]);
    await appendsWaiting(pg.admin(), schema, 1);
    // Planned before a wrote G1: planned again under the lock.
    const fromB = b.append([await groupChanged(G1, { Name: 'b' })]);
    await appendsWaiting(pg.admin(), schema, 2);
    const meanwhile = b.append([await groupChanged(G2, { Name: 'meanwhile' })]);
    expect(b.waiting()).toBe(1);
    await lock.release();
    const [[ofA], [ofB], [ofMeanwhile]] = await Promise.all([fromA, fromB, meanwhile]);
    expect([ofA!.seq, ofB!.seq, ofMeanwhile!.seq]).toEqual([1, 2, 3]);
    expect(commits).toEqual([[2, 3]]);
    expect(b.waiting()).toBe(0);
  });
});

describe('a schema written before appends were one call', () => {
  it('gets timhook_append at the next start, and goes on appending after what it holds', async () => {
    const schema = pg.freshSchema();
    const before = pg.track(await openPostgresChangeLog({ url: pg.url, schema, max: 2 }));
    await before.append([await groupChanged(G1, { Name: 'old' })]);
    await before.close();
    // As version 1 left it.
    await pg.admin().unsafe(`DROP TABLE "${schema}".mirror_state`);
    await pg.admin().unsafe(`DROP INDEX "${schema}".events_topic_destroys`);
    await pg.admin().unsafe(`DROP FUNCTION "${schema}".timhook_append`);
    await pg.admin().unsafe(`UPDATE "${schema}".timhook_schema_version SET version = 1`);
    const after = pg.track(await openPostgresChangeLog({ url: pg.url, schema, max: 2 }));
    const [result] = await after.append([await groupChanged(G1, { Name: 'new' })]);
    expect(result).toMatchObject({ seq: 2, duplicate: false });
    expect((await after.getProfile('group', G1))?.fields.Name).toMatchObject({ value: 'new', seq: 2 });
  });
});

describe('the PostgreSQL sessions of a change log', () => {
  it('read committed work in each step and give up a transaction left idle for 2 s', async () => {
    const sql = connectPostgres({ url: pg.url, schema: pg.freshSchema(), max: 1 });
    try {
      const [row] = await sql<Array<{ isolation: string; idle: string }>>`
        SELECT current_setting('transaction_isolation') AS isolation,
          current_setting('idle_in_transaction_session_timeout') AS idle`;
      expect(row).toEqual({ isolation: 'read committed', idle: '2s' });
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
});
