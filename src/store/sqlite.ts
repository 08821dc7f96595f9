import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type {
  AppendResult,
  ChangeLog,
  EventPage,
  EventQuery,
  LogEntry,
  LogStats,
  ProfilePage,
  ProfileView,
  RateBucket,
  RateQuery,
} from './change-log.js';
import { buildEventFilter, toFieldNames, toNameKey } from './event-filter.js';
import { projectEntry } from './project-entry.js';
import { type EventRow, type ProfileRow, recordedFromEntry, toProfileView, toRecordedEvent } from './rows.js';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';

/** How hard a commit waits for the disk. */
export type Durability = 'full' | 'normal';

/** Settings of the SQLite change log. */
export interface SqliteOptions {
  /** The database file; its folder is created. `:memory:` for tests. */
  path: string;
  /**
   * `full` (default): every commit is fsynced before `append` returns, so an answered callback
   * survives power loss. `normal`: WAL commits reach the OS but the last ones may be lost on power
   * loss (not on a process crash) — faster on slow disks.
   */
  durability?: Durability;
}

const PROFILE_COLUMNS =
  'kind, id, group_id, group_type, fields, created_at, destroyed_at, first_seq, last_seq, last_changed_at, last_operator, change_count';

const EVENT_COLUMNS =
  'seq, received_at, event_time, command, kind, sdk_app_id, group_id, topic_id, group_type, operator, opt_platform, client_ip, changes, diff, superseded, raw';

/** An events row read as an array of EVENT_COLUMNS: much cheaper for the driver than an object. */
function toEventRow(v: unknown[]): EventRow {
  return {
    seq: v[0] as number,
    received_at: v[1] as number,
    event_time: v[2] as number | null,
    command: v[3] as string,
    kind: v[4] as string,
    sdk_app_id: v[5] as string,
    group_id: v[6] as string | null,
    topic_id: v[7] as string | null,
    group_type: v[8] as string | null,
    operator: v[9] as string | null,
    opt_platform: v[10] as string | null,
    client_ip: v[11] as string | null,
    changes: v[12] as string,
    diff: v[13] as string,
    superseded: v[14] as string | null,
    raw: v[15] as string,
  };
}

/** Opens (creating and migrating as needed) a change log in one SQLite file. */
export function openSqliteChangeLog(options: SqliteOptions): ChangeLog {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);

  const lastSeqStmt = db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM events');
  const findDuplicate = db.prepare<[string], { seq: number }>('SELECT seq FROM events WHERE dedupe_key = ?');
  const insertEvent = db.prepare(
    `INSERT INTO events (seq, received_at, event_time, command, kind, sdk_app_id, group_id, topic_id, group_type,
       operator, opt_platform, client_ip, changes, diff, superseded, raw, dedupe_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const selectProfile = db.prepare<[string, string], ProfileRow>(
    `SELECT ${PROFILE_COLUMNS} FROM profiles WHERE kind = ? AND id = ?`,
  );
  const upsertProfile = db.prepare(
    `INSERT INTO profiles (${PROFILE_COLUMNS}, name_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (kind, id) DO UPDATE SET group_id = excluded.group_id, group_type = excluded.group_type,
       fields = excluded.fields, created_at = excluded.created_at, destroyed_at = excluded.destroyed_at,
       last_seq = excluded.last_seq, last_changed_at = excluded.last_changed_at,
       last_operator = excluded.last_operator, change_count = excluded.change_count,
       name_key = excluded.name_key`,
  );
  const insertField = db.prepare('INSERT INTO event_fields (seq, field) VALUES (?, ?)');
  const countByTime = db.prepare<[number, number, number, number], { bucket: number; count: number }>(
    `SELECT CAST((received_at - ?) / ? AS INTEGER) AS bucket, count(*) AS count FROM events
     WHERE received_at >= ? AND received_at < ? GROUP BY bucket ORDER BY bucket`,
  );
  const statements = new Map<string, Database.Statement>();
  function cached(sql: string): Database.Statement {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  }

  function loadProfile(kind: 'group' | 'topic', id: string): ProfileView | null {
    const row = selectProfile.get(kind, id);
    return row ? toProfileView(row) : null;
  }

  // IMMEDIATE: take the write lock at BEGIN, so max(seq) read below cannot be raced by another
  // process sharing the file.
  const appendBatch = db.transaction((entries: readonly LogEntry[]): AppendResult[] => {
    let next = (lastSeqStmt.get()?.seq ?? 0) + 1;
    const results: AppendResult[] = [];
    for (const entry of entries) {
      const existing = findDuplicate.get(entry.dedupeKey);
      if (existing) {
        results.push({ seq: existing.seq, duplicate: true });
        continue;
      }
      const seq = next++;
      const projection = projectEntry(entry, seq, loadProfile);
      insertEvent.run(
        seq,
        entry.receivedAt,
        entry.eventTime,
        entry.command,
        entry.kind,
        entry.sdkAppId,
        entry.groupId,
        entry.topicId,
        entry.groupType,
        entry.operator,
        entry.optPlatform,
        entry.clientIp,
        JSON.stringify(entry.changes),
        JSON.stringify(projection.diff),
        projection.superseded.length > 0 ? JSON.stringify(projection.superseded) : null,
        entry.rawBody,
        entry.dedupeKey,
      );
      for (const field of toFieldNames(entry.changes)) insertField.run(seq, field);
      for (const row of projection.writes) {
        upsertProfile.run(
          row.kind,
          row.id,
          row.groupId,
          row.groupType,
          JSON.stringify(row.fields),
          row.createdAt,
          row.destroyedAt,
          row.firstSeq,
          row.lastSeq,
          row.lastChangedAt,
          row.lastOperator,
          row.changeCount,
          toNameKey(row),
        );
      }
      results.push({
        seq,
        duplicate: false,
        event: recordedFromEntry(entry, seq, projection.diff, projection.superseded),
      });
    }
    return results;
  });

  let closed = false;
  return {
    async append(entries) {
      if (entries.length === 0) return [];
      return appendBatch.immediate(entries);
    },
    async listEvents(query: EventQuery): Promise<EventPage> {
      const filter = buildEventFilter(query);
      const sql = `SELECT ${EVENT_COLUMNS} FROM events ${filter.where} ORDER BY seq ${filter.order} LIMIT ?`;
      let statement = statements.get(sql);
      if (!statement) {
        statement = db.prepare(sql).raw(true);
        statements.set(sql, statement);
      }
      const rows = statement.all(...filter.params, query.limit + 1) as unknown[][];
      const more = rows.length > query.limit;
      const events = (more ? rows.slice(0, query.limit) : rows).map((row) =>
        toRecordedEvent(toEventRow(row)),
      );
      return { events, next: more ? events[events.length - 1]!.seq : null };
    },
    async getProfile(kind, id) {
      return loadProfile(kind, id);
    },
    async listProfiles(query): Promise<ProfilePage> {
      const params: unknown[] = [query.kind];
      let where = 'kind = ?';
      if (query.groupId !== undefined) {
        where += ' AND group_id = ?';
        params.push(query.groupId);
      }
      if (query.before !== undefined) {
        where += ' AND last_seq < ?';
        params.push(query.before);
      }
      const rows = cached(
        `SELECT ${PROFILE_COLUMNS} FROM profiles WHERE ${where} ORDER BY last_seq DESC LIMIT ?`,
      ).all(...params, query.limit + 1) as ProfileRow[];
      const more = rows.length > query.limit;
      const items = (more ? rows.slice(0, query.limit) : rows).map(toProfileView);
      return { items, next: more ? items[items.length - 1]!.lastSeq : null };
    },
    async countByTime(query: RateQuery): Promise<RateBucket[]> {
      return countByTime
        .all(query.since, query.bucketMs, query.since, query.until)
        .map((row) => ({ start: query.since + row.bucket * query.bucketMs, count: row.count }));
    },
    async stats(): Promise<LogStats> {
      const lastSeq = lastSeqStmt.get()?.seq ?? 0;
      const pages = db.pragma('page_count', { simple: true }) as number;
      const size = db.pragma('page_size', { simple: true }) as number;
      return { events: lastSeq, lastSeq, bytes: pages * size };
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SQLITE_MIGRATIONS.length) {
    throw new Error(
      `the database is at schema version ${current}, newer than this timhook knows (${SQLITE_MIGRATIONS.length}): upgrade timhook`,
    );
  }
  db.transaction(() => {
    for (let version = current; version < SQLITE_MIGRATIONS.length; version++) {
      db.exec(SQLITE_MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }
  }).immediate();
}
