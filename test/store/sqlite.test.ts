import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ChangeLog,
  type LogEntry,
  openChangeLog,
  type RecordedEvent,
  openSqliteChangeLog,
  openThreadedSqliteChangeLog,
} from '../../src/store/index.js';
import type { CommitRun, Committer } from '../../src/store/committer.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { CHANGES_FUNCTION, defineChangesFunction } from '../../src/store/sqlite/columns.js';
import { registerDedupeHash } from '../../src/store/sqlite/dedupe-hash.js';
import { createSqliteAppend } from '../../src/store/sqlite/append.js';
import { openSqliteDatabase } from '../../src/store/sqlite/database.js';
import { createDeferredWrites } from '../../src/store/sqlite/deferred-writes.js';
import { describeChangeLogContract } from './change-log-contract.js';
import { C1, G1, G2, groupChanged, seedEntry, T0, T1, T2, topicCreated, topicsDestroyed } from './entries.js';

let dir: string;
const opened: ChangeLog[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'timhook-sqlite-'));
});

afterEach(async () => {
  for (const log of opened.splice(0)) await log.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Watches the commits of a store: each run of its committer, as it starts. */
function watchRuns(): {
  wrap: (inner: Committer) => Committer;
  runs: CommitRun[];
  started: (count: number) => Promise<CommitRun>;
} {
  const runs: CommitRun[] = [];
  const waiters: Array<{ count: number; resolve: (run: CommitRun) => void }> = [];
  return {
    runs,
    wrap: (inner) => (take) => {
      const run = inner(take);
      runs.push(run);
      for (const waiter of waiters.filter((w) => runs.length >= w.count))
        waiter.resolve(runs[waiter.count - 1]!);
      return run;
    },
    started: (count) =>
      runs.length >= count
        ? Promise.resolve(runs[count - 1]!)
        : new Promise((resolve) => waiters.push({ count, resolve })),
  };
}

/**
 * Counts the runs (by `method`) of the statements whose SQL holds `sql`, on every connection of
 * this thread, until `stop`.
 */
function countStatementRuns(
  sql: string,
  method: 'get' | 'iterate' = 'get',
): { count: number; stop: () => void } {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<
    'get' | 'iterate',
    (...args: unknown[]) => unknown
  >;
  probe.close();
  const original = proto[method];
  const counter = {
    count: 0,
    stop: () => {
      proto[method] = original;
    },
  };
  proto[method] = function countingRun(this: { source: string }, ...args: unknown[]) {
    if (this.source.includes(sql)) counter.count++;
    return original.apply(this, args);
  };
  return counter;
}

/** Counts the lookups of a dedupe key in `event_keys`, on every connection, until `stop`. */
function countKeyLookups(): { count: number; stop: () => void } {
  return countStatementRuns('FROM event_keys k');
}

/** Opens a log on `path` (default: a file in this test's folder) and closes it after the test. */
function openLog(path = join(dir, 'timhook.db')): ChangeLog {
  const log = openSqliteChangeLog({ path });
  opened.push(log);
  return log;
}

describeChangeLogContract('SQLite file', async () => openSqliteChangeLog({ path: join(dir, 'contract.db') }));
describeChangeLogContract('SQLite file, commits on a writer thread', async () =>
  openThreadedSqliteChangeLog({ path: join(dir, 'contract.db') }),
);

describe('the SQLite change log with its writer thread', () => {
  it('refuses a file whose schema is newer than this timhook knows, with the writer’s message', async () => {
    const path = join(dir, 'future.db');
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    await expect(openThreadedSqliteChangeLog({ path })).rejects.toThrow(
      /schema version 99, newer than this timhook knows/,
    );
  });

  it('fills the filter of its dedupe keys as it opens, so that no callback waits for it', async () => {
    const path = join(dir, 'primed.db');
    const first = openSqliteChangeLog({ path });
    const entry = await groupChanged(G1, { Name: 'Once' });
    await first.append([entry, await groupChanged(G2, { Name: 'Other' })]);
    await first.close();
    const fills = countStatementRuns('SELECT dedupe_hash FROM event_keys', 'iterate');
    try {
      const log = await openThreadedSqliteChangeLog({ path });
      opened.push(log);
      expect(fills.count).toBe(1);
      const [fresh, again] = await log.append([await groupChanged(G2, { Name: 'Fresh' }), entry]);
      expect(fills.count).toBe(1);
      expect(fresh).toMatchObject({ seq: 3, duplicate: false });
      expect(again).toStrictEqual({ seq: 1, duplicate: true });
    } finally {
      fills.stop();
    }
  });

  it('commits appends sent at once in order, and a reader on the file sees each as soon as it resolves', async () => {
    const path = join(dir, 'threaded.db');
    const log = await openThreadedSqliteChangeLog({ path });
    opened.push(log);
    const batches = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => log.append([await groupChanged(G1, { Name: `n${i}` })])),
    );
    const seqs = batches.map(([result]) => result!.seq);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const [last] = await log.append([await groupChanged(G1, { Name: 'last' })]);
    expect((await log.listEvents({ limit: 1, order: 'desc' })).events[0]?.seq).toBe(last!.seq);
    expect((await log.getProfile('group', G1))?.fields.Name?.value).toBe('last');
    const other = openSqliteChangeLog({ path });
    opened.push(other);
    expect((await other.stats()).lastSeq).toBe(21);
  });

  it('frees the store for the next commit before the fsync, and shows an event only once it is durable', async () => {
    const watched = watchRuns();
    const log = await openThreadedSqliteChangeLog({
      path: join(dir, 'durable.db'),
      groupCommit: { wrapCommitter: watched.wrap },
    });
    opened.push(log);
    const appended = log.append([await groupChanged(G1, { Name: 'first' })]);
    const run = await watched.started(1);
    await run.written;
    // Committed, and the fsync has not reported yet (its callback needs a turn of the event loop
    // that this test has not given): no page, stream or relay may hand the event out yet.
    expect((await log.listEvents({ after: 0, limit: 10 })).events).toEqual([]);
    expect((await log.listRendered({ after: 0, limit: 10 })).events).toEqual([]);
    expect((await log.stats()).lastSeq).toBe(0);
    const [result] = await appended;
    expect(result).toMatchObject({ seq: 1, duplicate: false });
    expect((await log.listEvents({ after: 0, limit: 10 })).events.map((e) => e.seq)).toEqual([1]);
    expect((await log.stats()).lastSeq).toBe(1);
  });

  it('writes the next commit while the fsync of the one before runs, and answers them in commit order', async () => {
    const watched = watchRuns();
    const log = await openThreadedSqliteChangeLog({
      path: join(dir, 'pipelined.db'),
      groupCommit: { wrapCommitter: watched.wrap },
    });
    opened.push(log);
    const answered: number[] = [];
    const appends: Array<Promise<number>> = [];
    for (let i = 0; i < 12; i++) {
      const entry = await groupChanged(G1, { Name: `n${i}` });
      appends.push(log.append([entry]).then(([result]) => answered.push(result!.seq)));
      await watched.started(i + 1);
    }
    await Promise.all(appends);
    expect(watched.runs).toHaveLength(12);
    expect(answered).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('shows an event as soon as it is written when durability is normal (no fsync to wait for)', async () => {
    const watched = watchRuns();
    const log = await openThreadedSqliteChangeLog({
      path: join(dir, 'normal.db'),
      durability: 'normal',
      groupCommit: { wrapCommitter: watched.wrap },
    });
    opened.push(log);
    const appended = log.append([await groupChanged(G1, { Name: 'at once' })]);
    await (
      await watched.started(1)
    ).written;
    // Nothing is fsynced on this path: the event is readable as soon as it is written.
    expect((await log.listEvents({ after: 0, limit: 10 })).events.map((e) => e.seq)).toEqual([1]);
    await appended;
  });

  it('rejects appends after close, and closes twice', async () => {
    const log = await openThreadedSqliteChangeLog({ path: join(dir, 'closed.db') });
    await log.close();
    await expect(log.append([await groupChanged(G1, { Name: 'x' })])).rejects.toThrow(/closed/);
    await expect(log.close()).resolves.toBeUndefined();
  });
});

describe('the SQLite change log', () => {
  it('merges into the profile another connection wrote, not into the one it last wrote itself', async () => {
    const path = join(dir, 'two-writers.db');
    const mine = openLog(path);
    const other = openLog(path);
    await mine.append([await groupChanged(G1, { Name: 'Mine' })]);
    await other.append([await groupChanged(G1, { Introduction: 'Theirs' })]);
    await mine.append([await groupChanged(G1, { FaceUrl: 'https://example.com/f.png' })]);
    const profile = await other.getProfile('group', G1);
    expect(profile?.changeCount).toBe(3);
    expect(
      Object.fromEntries(Object.entries(profile!.fields).map(([field, state]) => [field, state.value])),
    ).toEqual({
      Name: 'Mine',
      Introduction: 'Theirs',
      FaceUrl: 'https://example.com/f.png',
    });
  });

  it('leaves no copy of the rebuilt log in the WAL after upgrading a file in place', async () => {
    const path = join(dir, 'v7.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    // The release before the lean log (docs/performance.md): the upgrade rebuilds `events`.
    for (const sql of SQLITE_MIGRATIONS.slice(0, 7)) db.exec(sql);
    db.pragma('user_version = 7');
    const insert = db.prepare(
      `INSERT INTO events (seq, received_at, command, kind, sdk_app_id, group_id, changes, diff, raw, dedupe_key, head)
       VALUES (?, ?, 'Group.CallbackAfterGroupInfoChanged', 'group', '1400000000', ?, '{}', '[]', ?, ?, NULL)`,
    );
    db.transaction(() => {
      for (let seq = 1; seq <= 2000; seq++)
        insert.run(seq, T0 + seq, G1, `{"n":"${'x'.repeat(1000)}${seq}"}`, `k${seq}`);
    })();
    db.close();
    const log = openLog(path);
    expect((await log.listEvents({ limit: 1, order: 'desc' })).events[0]?.seq).toBe(2000);
    // The rebuild wrote some 2 MB through the WAL; it is in the file now, and the WAL is empty.
    expect(statSync(`${path}-wal`).size).toBe(0);
  });

  it('joins the head of each event logged before version 9 as the recorder joins it, every character alike', async () => {
    // The lean log (version 8) kept changes, diff and superseded in columns of their own; the
    // upgrade joins each row's head in SQL. Every BMP character but the surrogates, in every text.
    const path = join(dir, 'v8.db');
    const db = new Database(path);
    registerDedupeHash(db);
    const version = SQLITE_MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE events_head'));
    expect(version).toBeGreaterThan(0);
    for (const sql of SQLITE_MIGRATIONS.slice(0, version)) db.exec(sql);
    db.pragma(`user_version = ${version}`);
    const chars: string[] = [];
    for (let code = 0; code < 0x10000; code++)
      if (code < 0xd800 || code > 0xdfff) chars.push(String.fromCharCode(code));
    const texts = [
      ...Array.from({ length: 64 }, (_, i) => chars.slice(i * 1024, (i + 1) * 1024).join('')),
      '👨‍👩‍👧 "q" \\ \n',
    ];
    const expected: RecordedEvent[] = texts.map((text, i) => ({
      seq: i + 1,
      receivedAt: T0 + i,
      eventTime: i % 2 === 0 ? null : T0 + 1000 + i,
      command: 'Group.CallbackAfterGroupInfoChanged',
      kind: 'group',
      sdkAppId: '1400000000',
      groupId: `g-${text.slice(0, 40)}`,
      topicId: null,
      groupType: text.slice(40, 80),
      operator: text.slice(80),
      optPlatform: i % 3 === 0 ? null : 'Web',
      clientIp: text.slice(0, 10),
      changes: { Name: text, customFields: { [text.slice(5, 20)]: text.slice(20, 30) } },
      diff: [{ field: 'Name', from: null, to: text }],
      ...(i % 4 === 0 ? { superseded: [text.slice(0, 8)] } : {}),
      raw: { GroupId: text.slice(0, 16), n: i },
    }));
    const insert = db.prepare(
      `INSERT INTO events (seq, received_at, event_time, command, kind, sdk_app_id, group_id, topic_id, group_type,
         operator, opt_platform, client_ip, changes, diff, superseded, raw, raw_inline, dedupe_key, dedupe_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
    );
    for (const e of expected) {
      insert.run(
        e.seq,
        e.receivedAt,
        e.eventTime,
        e.command,
        e.kind,
        e.sdkAppId,
        e.groupId,
        e.topicId,
        e.groupType,
        e.operator,
        e.optPlatform,
        e.clientIp,
        JSON.stringify(e.changes),
        JSON.stringify(e.diff),
        e.superseded ? JSON.stringify(e.superseded) : null,
        JSON.stringify(e.raw),
        `k${e.seq}`,
        e.seq,
      );
    }
    db.close();

    const log = openLog(path);
    const rendered = await log.listRendered({ limit: 100, order: 'asc' });
    expect(rendered.events.map((event) => event.json)).toEqual(
      expected.map((event) => JSON.stringify(event)),
    );
    expect((await log.listEvents({ limit: 100, order: 'asc' })).events).toEqual(expected);
  });

  it('keeps in each row the part of its head the columns and the body do not hold, and reads every event whole, every character alike', async () => {
    // Since version 11 a row's head holds changes, diff and superseded; a read joins the columns
    // in SQL (sqlite/columns.ts HEAD_SQL), as the recorder joins them at append. Since version 13
    // a callback's head leaves out the changes its body holds, and a read gets them from the body.
    // Every BMP character the receiver takes in a name (no control characters, no surrogates).
    const path = join(dir, 'short-heads.db');
    const log = openLog(path);
    const chars: string[] = [];
    for (let code = 0x20; code < 0x10000; code++)
      if ((code < 0x7f || code > 0x9f) && (code < 0xd800 || code > 0xdfff))
        chars.push(String.fromCharCode(code));
    // In texts of 10 characters: the receiver takes names of up to 30 UTF-8 bytes.
    const texts = [
      ...Array.from({ length: Math.ceil(chars.length / 10) }, (_, i) =>
        chars.slice(i * 10, (i + 1) * 10).join(''),
      ),
      '👨‍👩"\\/',
    ];
    const entries: LogEntry[] = [];
    for (const [i, text] of texts.entries()) {
      const entry = await groupChanged(
        `g-${i}`,
        { Name: text, custom: { [`k${i}`]: text } },
        {
          at: T0 + i,
          operator: text,
          clientIp: text,
          ...(i % 2 === 0 ? {} : { eventTime: T0 + 1000 + i, optPlatform: text }),
        },
      );
      // Every third entry is given changes of its own (equal ones): its row keeps them.
      entries.push(i % 3 === 0 ? { ...entry, changes: structuredClone(entry.changes) } : entry);
    }
    const results = await log.append(entries);
    const rendered = await log.listRendered({ limit: 10_000, order: 'asc' });
    expect(rendered.events.map((event) => event.json)).toEqual(
      results.map((result) => (result.duplicate ? null : result.rendered.json)),
    );
    expect((await log.listEvents({ limit: 10_000, order: 'asc' })).events).toEqual(
      results.map((result) => (result.duplicate ? null : result.event)),
    );
    expect(results.map((result) => (result.duplicate ? null : result.event.changes))).toEqual(
      entries.map((entry) => entry.changes),
    );
    const heads = new Database(path, { readonly: true })
      .prepare<[], string>('SELECT head FROM events ORDER BY seq')
      .pluck()
      .all();
    expect(heads).toHaveLength(texts.length);
    for (const [i, head] of heads.entries())
      expect(head.slice(0, 11)).toBe(i % 3 === 0 ? '{"changes":' : '{"diff":[{"');
  });

  it('indexes the destroys of several topics logged before version 6, so each topic’s history shows them', async () => {
    // A log as this version writes it, copied into a file at schema version 5.
    const current = join(dir, 'current.db');
    const first = openLog(current);
    const [destroyed] = await first.append([await topicsDestroyed(C1, [T1, T2])]);
    await first.close();
    const path = join(dir, 'v5.db');
    const db = new Database(path);
    for (const sql of SQLITE_MIGRATIONS.slice(0, 5)) db.exec(sql);
    db.pragma('user_version = 5');
    db.exec(`ATTACH '${current}' AS cur`);
    // A head since version 13 leaves a callback's changes to its body.
    defineChangesFunction(db);
    db.exec(`INSERT INTO events SELECT seq, received_at, event_time, command, kind, sdk_app_id, group_id, topic_id,
      group_type, operator, opt_platform, client_ip,
      ifnull(json_extract(head, '$.changes'), ${CHANGES_FUNCTION}(command, raw)), json_extract(head, '$.diff'),
      json_extract(head, '$.superseded'), raw, dedupe_key, NULL FROM cur.events`);
    db.exec('DETACH cur');
    db.close();
    const second = openLog(path);
    expect((await second.listEvents({ limit: 10, topicId: T2 })).events.map((event) => event.seq)).toEqual([
      destroyed!.seq,
    ]);
  });

  it('finds the events that carried a field in their rows: no field index, nothing written behind the OK for it', async () => {
    const path = join(dir, 'fields.db');
    const log = openSqliteChangeLog({ path, deferredWriteMs: 60_000 });
    opened.push(log);
    const file = new Database(path, { readonly: true });
    const indexed = () => file.prepare('SELECT indexed FROM projected').pluck().get() as number;
    try {
      // The first two rows leave their changes to their bodies; the third keeps its own (a copy of
      // an entry given other changes), as rows logged before version 13 do.
      const third = await groupChanged(G2, {
        Name: 'Two',
        FaceUrl: 'https://x/y.png',
        custom: { Region: 'eu' },
      });
      await log.append([
        await groupChanged(G1, { Name: 'One', custom: { Level: '1' } }),
        await groupChanged(G1, { Introduction: 'Intro' }),
        { ...third, changes: structuredClone(third.changes) },
      ]);
      const heads = file.prepare('SELECT substr(head, 1, 8) FROM events ORDER BY seq').pluck().all();
      expect(heads).toEqual(['{"diff":', '{"diff":', '{"change']);
      const seqs = async (field: string) =>
        (await log.listEvents({ limit: 10, order: 'asc', field })).events.map((event) => event.seq);
      expect(await seqs('Name')).toEqual([1, 3]);
      expect(await seqs('Introduction')).toEqual([2]);
      expect(await seqs('customFields')).toEqual([1, 3]);
      expect(await seqs('customFields.Region')).toEqual([3]);
      expect(await seqs('customFields.Nope')).toEqual([]);
      expect(await seqs('Notification')).toEqual([]);
      expect(indexed()).toBe(0);
      const tables = file.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
      expect(tables).not.toContain('event_fields');
    } finally {
      file.close();
    }
  });

  it('writes the profiles behind the OK, in bulk: the file holds them once a read, the period or close comes', async () => {
    const path = join(dir, 'bulk.db');
    const log = openSqliteChangeLog({ path, deferredWriteMs: 60_000 });
    opened.push(log);
    const file = new Database(path, { readonly: true });
    const through = () =>
      (file.prepare('SELECT through FROM projected').get() as { through: number }).through;
    const indexed = () =>
      (file.prepare('SELECT indexed FROM projected').get() as { indexed: number }).indexed;
    const rows = () => file.prepare('SELECT count(*) AS n FROM profiles').get() as { n: number };
    try {
      await log.append([await groupChanged(G1, { Name: 'One' })]);
      await log.append([await groupChanged(G1, { Name: 'Two' }), await groupChanged(G2, { Name: 'Other' })]);
      expect(through()).toBe(0);
      expect(indexed()).toBe(0);
      expect(rows().n).toBe(0);
      expect((await log.getProfile('group', G1))?.changeCount).toBe(2);
      expect(through()).toBe(3);
      expect(indexed()).toBe(3);
      expect(rows().n).toBe(2);
      await log.append([await groupChanged(G2, { Name: 'Last' })]);
      expect(through()).toBe(3);
      await log.close();
      expect(through()).toBe(4);
      const g2 = file.prepare('SELECT fields, change_count FROM profiles WHERE id = ?').get(G2) as {
        fields: string;
        change_count: number;
      };
      expect(g2.change_count).toBe(2);
      expect(JSON.parse(g2.fields).Name.value).toBe('Last');
    } finally {
      file.close();
    }
  });

  it('finds the duplicates, group events and fields an earlier process logged but had not yet indexed', async () => {
    const path = join(dir, 'keys.db');
    const first = openSqliteChangeLog({ path, deferredWriteMs: 60_000 });
    const entry = await groupChanged(G1, { Name: 'Once' });
    const [logged] = await first.append([entry]);
    await first.append([await groupChanged(G2, { Name: 'Other' })]);
    // `first` is never closed: as after a crash, neither event_keys nor group_events has them.
    const second = openLog(path);
    const [again] = await second.append([entry, entry]);
    expect(again).toStrictEqual({ seq: logged?.seq, duplicate: true });
    await second.append([await groupChanged(G1, { Name: 'Twice' })]);
    const history = await second.listEvents({ groupId: G1, limit: 10, order: 'desc' });
    expect(history.events.map((event) => event.changes.Name)).toEqual(['Twice', 'Once']);
    const page = await second.listEvents({ groupId: G1, limit: 1, order: 'desc', before: 3 });
    expect(page.events.map((event) => event.seq)).toEqual([1]);
    const named = await second.listEvents({ field: 'Name', limit: 10 });
    expect(named.events.map((event) => event.seq)).toEqual([1, 2, 3]);
  });

  it('looks a fresh dedupe key up in the file only when the filter of its keys says it may be there', async () => {
    const path = join(dir, 'fresh.db');
    const first = openSqliteChangeLog({ path });
    const entry = await groupChanged(G1, { Name: 'Once' });
    await first.append([entry]);
    await first.close();
    const lookups = countKeyLookups();
    try {
      const log = openLog(path);
      for (let i = 0; i < 50; i++) await log.append([await groupChanged(G2, { Name: `Fresh ${i}` })]);
      expect(lookups.count).toBe(0);
      const [again] = await log.append([entry]);
      expect(again).toStrictEqual({ seq: 1, duplicate: true });
      expect(lookups.count).toBe(1);
    } finally {
      lookups.stop();
    }
  });

  it('finds a key another connection logged and wrote to event_keys after this one made its filter', async () => {
    const path = join(dir, 'shared-keys.db');
    const mine = openLog(path);
    const other = openLog(path);
    await mine.append([await groupChanged(G1, { Name: 'Mine' })]);
    const theirs = await groupChanged(G2, { Name: 'Theirs' });
    const [logged] = await other.append([theirs]);
    // Their key is in event_keys before this connection looks again.
    await other.listEvents({ groupId: G2, limit: 1 });
    const [again] = await mine.append([theirs]);
    expect(again).toStrictEqual({ seq: logged?.seq, duplicate: true });
  });

  it('answers results of one shape: no getter of their own, the rendered JSON joined when first read', async () => {
    // A getter written into each result gave each its own hidden class, made in V8's old
    // generation: a garbage collector's cost per event (rows.ts loggedResult). The JSON is joined
    // by a getter of the results' one class, only for a reader that asks (the live stream).
    const log = openSqliteChangeLog({ path: join(dir, 'shape.db') });
    opened.push(log);
    const results = await log.append([
      await groupChanged(G1, { Name: 'One' }),
      await groupChanged(G2, { Name: 'Two' }),
    ]);
    for (const result of results) {
      expect(result.duplicate).toBe(false);
      if (result.duplicate) continue;
      expect(Object.getOwnPropertyDescriptor(result, 'event')).toBeUndefined();
      expect(Object.getOwnPropertyDescriptor(result.rendered, 'json')).toBeUndefined();
      expect(Object.getPrototypeOf(result)).toBe(Object.getPrototypeOf(results[0]));
      const first = results[0]!;
      if (!first.duplicate) {
        expect(Object.getPrototypeOf(result.rendered)).toBe(Object.getPrototypeOf(first.rendered));
      }
      expect(JSON.parse(result.rendered.json)).toEqual(JSON.parse(JSON.stringify(result.event)));
    }
    const page = await log.listEvents({ limit: 10, order: 'asc' });
    expect(page.events).toStrictEqual(results.map((result) => !result.duplicate && result.event));
  });

  it('takes a body sent twice in one batch once, before its key is written behind the OK', async () => {
    const log = openSqliteChangeLog({ path: join(dir, 'twice.db'), deferredWriteMs: 60_000 });
    opened.push(log);
    const entry = await groupChanged(G1, { Name: 'Once' });
    const results = await log.append([entry, entry]);
    expect(results.map((result) => [result.seq, result.duplicate])).toEqual([
      [1, false],
      [1, true],
    ]);
    const [later] = await log.append([entry]);
    expect(later).toStrictEqual({ seq: 1, duplicate: true });
  });

  it('projects from the file the events an earlier process logged but left unprojected', async () => {
    const path = join(dir, 'left.db');
    const first = openSqliteChangeLog({ path, deferredWriteMs: 60_000 });
    await first.append([await groupChanged(G1, { Name: 'Before' })]);
    await first.append([await topicCreated(C1, T1, { Name: 'General' })]);
    await first.append([await topicsDestroyed(C1, [T1])]);
    await first.append([await groupChanged(G1, { Name: 'After', Introduction: 'Hi' })]);
    // `first` is never closed: as after a crash, its profiles were never written. Its rows leave
    // their changes to their bodies: the projection reads them from there.
    const heads = new Database(path, { readonly: true }).prepare('SELECT substr(head, 1, 8) FROM events');
    expect(heads.pluck().all()).toEqual(['{"diff":', '{"diff":', '{"diff":', '{"diff":']);
    const second = openLog(path);
    const group = await second.getProfile('group', G1);
    expect(group?.changeCount).toBe(2);
    expect(group?.fields.Name?.value).toBe('After');
    expect(group?.fields.Introduction?.value).toBe('Hi');
    const topic = await second.getProfile('topic', T1);
    expect(topic?.destroyedAt).not.toBeNull();
    expect(topic?.fields.Name?.value).toBe('General');
  });

  it('writes the dedupe keys and group events of a backlog in key order, each page about once', async () => {
    const path = join(dir, 'pages.db');
    const db = openSqliteDatabase({ path });
    try {
      db.pragma('wal_autocheckpoint = 0');
      // A log that has seen many events: keys all over the hash space, and a thousand groups. Their
      // seqs are below any event's, so no lookup finds them.
      db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150000)
        INSERT INTO event_keys SELECT abs(random()) % 4503599627370496, -i FROM n`);
      db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
        INSERT INTO group_events SELECT '@TGS#PAGE' || (i % 1000), -i FROM n`);
      const deferred = createDeferredWrites(db);
      const append = createSqliteAppend(db, deferred);
      for (let batch = 0; batch < 30; batch++) {
        const ids = Array.from({ length: 100 }, (_, n) => `@TGS#PAGE${(batch * 100 + n) % 1000}`);
        append(await Promise.all(ids.map((id, n) => groupChanged(id, { Name: `Name ${batch} ${n}` }))));
      }
      db.pragma('wal_checkpoint(TRUNCATE)');
      // Slices with no time to spare, until the three tables hold every event.
      const indexed = db.prepare<[], number>('SELECT indexed FROM projected').pluck();
      while (indexed.get()! < 3000) deferred.writeSome(0);
      const frames = (statSync(`${path}-wal`).size - 32) / (4096 + 24);
      const pages = db
        .prepare<[], number>(
          `SELECT count(*) FROM dbstat WHERE name IN ('event_keys', 'group_events', 'event_fields')`,
        )
        .pluck()
        .get()!;
      // Each slice commits the pages it changed. Written in seq order, each slice of a few hundred
      // events changed a page of event_keys and one of group_events for almost every event: four
      // times the pages of the tables. In key order, each page is written about once.
      expect({ frames, pages, once: frames < 1.5 * pages }).toMatchObject({ once: true });
    } finally {
      db.close();
    }
  });

  it('projects again after a crash only what a part-done bulk write had not written', async () => {
    const path = join(dir, 'part.db');
    const db = openSqliteDatabase({ path });
    const deferred = createDeferredWrites(db);
    const append = createSqliteAppend(db, deferred);
    const ids = Array.from({ length: 40 }, (_, n) => `@TGS#PART${n}`);
    append(await Promise.all(ids.map((id) => groupChanged(id, { Name: 'One' }))));
    append([await groupChanged(ids[0]!, { Introduction: 'Hi' })]);
    // With no time to spare, each slice writes one step: the keys, the group rows and the fields
    // (sqlite/index-pass.ts), then a first step of rows; `through` stays behind until every row is
    // written. Then the crash.
    let left = deferred.writeSome(0);
    for (let slice = 1; slice < 3; slice++) left = deferred.writeSome(0);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(ids.length);
    const raw = db.prepare('SELECT through FROM projected').pluck().get();
    expect(raw).toBe(0);
    const log = openLog(path);
    const counts = await Promise.all(ids.map(async (id) => (await log.getProfile('group', id))?.changeCount));
    const first = await log.getProfile('group', ids[0]!);
    db.close();
    expect(counts).toEqual(ids.map((_, n) => (n === 0 ? 2 : 1)));
    expect(first?.fields.Introduction?.value).toBe('Hi');
  });

  it('forgets what a batch that failed had merged: the profile is the committed one', async () => {
    const log = openLog();
    await log.append([await groupChanged(G1, { Name: 'Committed' })]);
    const broken = { ...(await groupChanged(G2, { Name: 'Broken' })), command: null as unknown as string };
    await expect(
      log.append([await groupChanged(G1, { Name: 'Rolled back', Introduction: 'Rolled back' }), broken]),
    ).rejects.toThrow(/NOT NULL/);
    const [next] = await log.append([await groupChanged(G1, { Notification: 'After' })]);
    expect(next?.duplicate === false && next.event.diff).toEqual([
      { field: 'Notification', from: null, to: 'After' },
    ]);
    const profile = await log.getProfile('group', G1);
    expect(profile?.changeCount).toBe(2);
    expect(profile?.fields.Name?.value).toBe('Committed');
    expect(profile?.fields.Introduction).toBeUndefined();
  });

  it('logs a body again when the batch that first held it failed: its dedupe key was never committed', async () => {
    const log = openLog();
    const body = await groupChanged(G1, { Name: 'Sent twice' });
    const broken = { ...(await groupChanged(G2, { Name: 'Broken' })), command: null as unknown as string };
    await expect(log.append([body, broken])).rejects.toThrow(/NOT NULL/);
    const [again] = await log.append([body]);
    expect(again?.duplicate).toBe(false);
    const [third] = await log.append([body]);
    expect(third).toMatchObject({ duplicate: true, seq: again?.seq });
    expect((await log.listEvents({ limit: 10 })).events).toHaveLength(1);
  });

  it('keeps events, profiles, dedupe keys and the sequence when the file is reopened', async () => {
    const path = join(dir, 'reopen.db');
    const first = openLog(path);
    const results = await first.append([
      await seedEntry('group-info-changed-both'),
      await topicCreated(C1, T1, { Name: 'General' }),
    ]);
    const events = (await first.listEvents({ limit: 10 })).events;
    const group = await first.getProfile('group', G1);
    const topics = await first.listProfiles({ kind: 'topic', groupId: C1, limit: 10 });
    await first.close();

    const second = openLog(path);
    expect((await second.listEvents({ limit: 10 })).events).toStrictEqual(events);
    expect(await second.getProfile('group', G1)).toStrictEqual(group);
    expect(await second.listProfiles({ kind: 'topic', groupId: C1, limit: 10 })).toStrictEqual(topics);
    const [retry] = await second.append([await seedEntry('group-info-changed-both', { at: T0 + 1 })]);
    expect(retry).toStrictEqual({ seq: results[0]?.seq, duplicate: true });
    const [next] = await second.append([await groupChanged(G1, { Name: 'After reopen' })]);
    expect(next?.seq).toBe(events.length + 1);
    expect(next?.duplicate === false && next.event.diff).toEqual([
      { field: 'Name', from: 'NewGroupName', to: 'After reopen' },
    ]);
  });

  it('creates the folder of its file', async () => {
    const log = openLog(join(dir, 'nested', 'deeper', 'timhook.db'));
    await log.append([await groupChanged(G1, { Name: 'x' })]);
    expect((await log.stats()).events).toBe(1);
  });

  it('works in memory, for tests', async () => {
    const log = openLog(':memory:');
    await log.append([await groupChanged(G1, { Name: 'x' })]);
    expect((await log.listEvents({ limit: 10 })).events).toHaveLength(1);
  });

  it('refuses a file whose schema is newer than this timhook knows', async () => {
    const path = join(dir, 'future.db');
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    expect(() => openSqliteChangeLog({ path })).toThrow(/schema version 99, newer than this timhook knows/);
  });

  it('is opened by openChangeLog from a plain path or a sqlite: URL', async () => {
    const plain = await openChangeLog({ db: join(dir, 'plain.db') });
    opened.push(plain);
    await plain.append([await groupChanged(G1, { Name: 'plain' })]);
    await plain.close();
    const prefixed = await openChangeLog({ db: `sqlite:${join(dir, 'plain.db')}`, durability: 'normal' });
    opened.push(prefixed);
    expect((await prefixed.stats()).events).toBe(1);
  });

  it('opens PostgreSQL for a postgres:// URL, and says so when it cannot reach it', async () => {
    await expect(openChangeLog({ db: 'postgres://postgres@127.0.0.1:1/timhook' })).rejects.toThrow(
      /ECONNREFUSED|connect/,
    );
  });
});
