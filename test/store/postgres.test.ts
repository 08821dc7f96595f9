import { describe, expect, it } from 'vitest';
import type { AppendResult, ChangeLog, LogEntry } from '../../src/store/index.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { openPostgresChangeLog, type PostgresOptions } from '../../src/store/postgres/change-log.js';
import { describeChangeLogContract } from './change-log-contract.js';
import { G1, G2, groupChanged, T0 } from './entries.js';
import { usePostgres } from './postgres-support.js';

const pg = usePostgres();

describeChangeLogContract('PostgreSQL', async () =>
  openPostgresChangeLog({ url: pg.url, schema: pg.freshSchema(), max: 4 }),
);

/** Opens a log on `schema`, closed after the test. */
async function openLog(schema: string, options: Partial<PostgresOptions> = {}): Promise<ChangeLog> {
  return pg.track(await openPostgresChangeLog({ url: pg.url, schema, max: 4, ...options }));
}

/** `count` instances on one fresh schema, as that many recorders on one database. */
async function openInstances(count: number): Promise<ChangeLog[]> {
  const schema = pg.freshSchema();
  const logs: ChangeLog[] = [];
  for (let i = 0; i < count; i++) logs.push(await openLog(schema));
  return logs;
}

/** Splits `items` into batches of `size`. */
function chunk<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}

/** Every seq of the log, oldest first, read page by page. */
async function readAllSeqs(log: ChangeLog): Promise<number[]> {
  const seqs: number[] = [];
  let after = 0;
  for (;;) {
    const page = await log.listEvents({ after, limit: 500 });
    seqs.push(...page.events.map((event) => event.seq));
    if (page.next === null) return seqs;
    after = page.next;
  }
}

/** Resolves with the first value `register`'s callback is called with. */
function nextCall(register: (listener: (seq: number) => void) => () => void): Promise<number> {
  return new Promise((resolve) => {
    const stop = register((seq) => {
      stop();
      resolve(seq);
    });
  });
}

describe('several PostgreSQL instances on one database', () => {
  it('never lets a reader paging "after N" skip an event while two instances append at once', async () => {
    const [a, b, reader] = (await openInstances(3)) as [ChangeLog, ChangeLog, ChangeLog];
    const entries = await Promise.all(
      Array.from({ length: 600 }, (_, i) => groupChanged(i % 2 ? G1 : G2, { Name: `name ${i}` })),
    );
    const [forA, forB] = [entries.filter((_, i) => i % 2 === 0), entries.filter((_, i) => i % 2 === 1)];

    let writing = true;
    const seen: number[] = [];
    const read = (async () => {
      let after = 0;
      for (;;) {
        const done = !writing;
        const page = await reader.listEvents({ after, limit: 40 });
        seen.push(...page.events.map((event) => event.seq));
        if (page.events.length > 0) after = page.events[page.events.length - 1]!.seq;
        else if (done) return;
      }
    })();
    // Settled, not Promise.all: a failing append must not leave the others running past the test.
    const appended = await Promise.allSettled([
      ...chunk(forA, 3).map((batch) => a.append(batch)),
      ...chunk(forB, 3).map((batch) => b.append(batch)),
    ]);
    writing = false;
    await read;
    expect(appended.filter((outcome) => outcome.status === 'rejected')).toEqual([]);

    const all = await readAllSeqs(a);
    expect(all).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    expect(seen).toEqual(all);
  });
});

describe('several PostgreSQL instances on one database, continued', () => {
  it('logs a callback delivered to two instances at once once, and answers both with its seq', async () => {
    const [a, b] = (await openInstances(2)) as [ChangeLog, ChangeLog];
    const entries = await Promise.all(
      Array.from({ length: 30 }, (_, i) => groupChanged(G1, { Name: `retry ${i}` }, { at: T0 + i })),
    );
    const [fromA, fromB] = await Promise.all([
      Promise.all(entries.map((entry) => a.append([entry]))),
      Promise.all(entries.map((entry) => b.append([entry]))),
    ]);
    for (let i = 0; i < entries.length; i++) {
      const pair = [fromA[i]![0]!, fromB[i]![0]!];
      expect(pair[0]!.seq).toBe(pair[1]!.seq);
      expect(pair.map((result) => result.duplicate).sort()).toEqual([false, true]);
    }
    expect(await readAllSeqs(a)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect((await a.getProfile('group', G1))?.changeCount).toBe(30);
  });

  it('keeps the newest EventTime per field when two instances change one group at once', async () => {
    const [a, b] = (await openInstances(2)) as [ChangeLog, ChangeLog];
    // EventTime i; arrival order scrambled, alternate instances: most arrive out of order.
    const order = Array.from({ length: 60 }, (_, i) => (i * 37) % 60);
    const entries = await Promise.all(
      order.map((i) =>
        groupChanged(
          G1,
          i % 4 === 1 ? { Name: `name ${i}`, Introduction: `intro ${i}` } : { Name: `name ${i}` },
          { eventTime: T0 + i, at: T0 + 1000 + i, operator: `op${i}` },
        ),
      ),
    );
    const batches = chunk(entries, 2);
    const results = (
      await Promise.all(batches.map((batch, i) => (i % 2 === 0 ? a : b).append(batch)))
    ).flat() as AppendResult[];
    expect(results.every((result) => !result.duplicate)).toBe(true);

    const profile = await b.getProfile('group', G1);
    expect(profile?.fields.Name).toMatchObject({ value: 'name 59', eventTime: T0 + 59, operator: 'op59' });
    expect(profile?.fields.Introduction).toMatchObject({ value: 'intro 57', eventTime: T0 + 57 });
    expect(profile?.changeCount).toBe(60);
    const history = await a.listEvents({ groupId: G1, limit: 100 });
    expect(history.events.map((event) => event.changes.Name).sort()).toEqual(
      order.map((i) => `name ${i}`).sort(),
    );
  });

  it('migrates a fresh schema once when several instances open it at the same moment', async () => {
    const schema = pg.freshSchema();
    const logs = await Promise.all(Array.from({ length: 4 }, () => openLog(schema, { max: 1 })));
    await Promise.all(logs.map(async (log, i) => log.append([await groupChanged(G2, { Name: `n${i}` })])));
    expect((await logs[0]!.stats()).events).toBe(4);
    const versions = await pg.admin().unsafe(`SELECT version FROM "${schema}".timhook_schema_version`);
    expect(versions).toEqual([{ version: POSTGRES_MIGRATIONS.length }]);
  });

  it('tells each instance of the others’ appends, never of its own', async () => {
    const [a, b] = (await openInstances(2)) as [ChangeLog, ChangeLog];
    const heardByA: number[] = [];
    a.watch((seq) => heardByA.push(seq));
    const bHears = nextCall((listener) => b.watch(listener));
    const fromA = await a.append([
      await groupChanged(G1, { Name: 'a1' }),
      await groupChanged(G1, { Name: 'a2' }),
    ]);
    expect(await bHears).toBe(fromA[1]!.seq);

    const aHears = nextCall((listener) => a.watch(listener));
    const [fromB] = await b.append([await groupChanged(G1, { Name: 'b1' })]);
    expect(await aHears).toBe(fromB!.seq);
    // NOTIFYs reach a connection in commit order: had A heard its own append, it would be first.
    expect(heardByA).toEqual([fromB!.seq]);
  });

  it('stops calling a listener once it unsubscribes', async () => {
    const [a, b] = (await openInstances(2)) as [ChangeLog, ChangeLog];
    const gone: number[] = [];
    const stop = b.watch((seq) => gone.push(seq));
    stop();
    const stillHere = nextCall((listener) => b.watch(listener));
    const [result] = await a.append([await groupChanged(G1, { Name: 'x' })]);
    expect(await stillHere).toBe(result!.seq);
    expect(gone).toEqual([]);
  });

  it('keeps calling the other listeners when one throws, and reports the error', async () => {
    const errors: unknown[] = [];
    const schema = pg.freshSchema();
    const a = await openLog(schema);
    const b = await openLog(schema, { onWatchError: (error) => errors.push(error) });
    b.watch(() => {
      throw new Error('listener broke');
    });
    const heard = nextCall((listener) => b.watch(listener));
    await a.append([await groupChanged(G1, { Name: 'x' })]);
    expect(await heard).toBe(1);
    expect(errors).toEqual([new Error('listener broke')]);
  });
});

describe('the PostgreSQL change log', () => {
  it('keeps events, profiles and dedupe keys for the next instance that opens the schema', async () => {
    const schema = pg.freshSchema();
    const first = await openLog(schema);
    const [logged] = await first.append([await groupChanged(G1, { Name: 'kept' })]);
    await first.close();
    const second = await openLog(schema);
    const [retry] = await second.append([await groupChanged(G1, { Name: 'kept' })]);
    expect(retry).toStrictEqual({ seq: logged!.seq, duplicate: true });
    expect((await second.getProfile('group', G1))?.fields.Name?.value).toBe('kept');
  });

  it('logs an entry carrying U+0000 without failing its batch: columns hold U+FFFD, profile values U+0000', async () => {
    const log = await openLog(pg.freshSchema());
    // A receiver refuses U+0000 in ids and names; a caller of the store can still hand one over.
    const honest = await groupChanged(G1, { Name: 'a', custom: { k: 'v' } });
    const nul: LogEntry = {
      ...honest,
      operator: 'op\u0000',
      changes: { Name: 'a\u0000b', customFields: { 'k\u0000': 'v\u0000' } },
    };
    const results = await log.append([nul, await groupChanged(G2, { Name: 'honest' })]);
    expect(results.map((result) => result.duplicate)).toEqual([false, false]);
    const { events } = await log.listEvents({ limit: 10 });
    expect(events).toStrictEqual(results.map((result) => !result.duplicate && result.event));
    expect(events[0]).toMatchObject({
      operator: 'op\uFFFD',
      changes: { Name: 'a\u0000b', customFields: { 'k\u0000': 'v\u0000' } },
    });
    const byOperator = await log.listEvents({ limit: 10, operator: 'op\u0000' });
    expect(byOperator.events.map((event) => event.seq)).toEqual([events[0]!.seq]);
    const byField = await log.listEvents({ limit: 10, field: 'customFields.k\u0000' });
    expect(byField.events.map((event) => event.seq)).toEqual([events[0]!.seq]);
    expect((await log.listEvents({ limit: 10, search: 'a\u0000b' })).events).toHaveLength(1);
    const profile = await log.getProfile('group', G1);
    expect(profile?.fields.Name?.value).toBe('a\u0000b');
    expect(profile?.fields['customFields.k\u0000']?.value).toBe('v\u0000');
  });

  it('refuses a schema written by a newer timhook', async () => {
    const schema = pg.freshSchema();
    await (await openLog(schema)).close();
    await pg.admin().unsafe(`UPDATE "${schema}".timhook_schema_version SET version = 99`);
    await expect(openPostgresChangeLog({ url: pg.url, schema })).rejects.toThrow(
      /schema version 99, newer than this timhook knows/,
    );
  });

  it('rejects at open when the database cannot be reached', async () => {
    await expect(
      openPostgresChangeLog({ url: 'postgres://postgres@127.0.0.1:1/postgres', schema: pg.freshSchema() }),
    ).rejects.toThrow();
  });

  it('reads seqs, times and counts as numbers', async () => {
    const log = await openLog(pg.freshSchema());
    await log.append([await groupChanged(G1, { Name: 'n' }, { at: T0, eventTime: T0 - 1 })]);
    const [event] = (await log.listEvents({ limit: 1 })).events;
    expect([event!.seq, event!.receivedAt, event!.eventTime]).toEqual([1, T0, T0 - 1]);
    expect(await log.countByTime({ since: T0, until: T0 + 1, bucketMs: 1 })).toEqual([
      { start: T0, count: 1 },
    ]);
    const stats = await log.stats();
    expect(typeof stats.bytes).toBe('number');
  });
});
