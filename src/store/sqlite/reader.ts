import type Database from 'better-sqlite3';
import type {
  ChangeLog,
  EventPage,
  EventQuery,
  LogStats,
  ProfilePage,
  ProfileView,
  RateBucket,
  RateQuery,
  RenderedPage,
} from '../change-log.js';
import { buildEventFilter, type SqlFilter } from '../event-filter.js';
import { pageProfiles } from '../profile-page.js';
import { type ProfileRow, toProfileView } from '../rows.js';
import {
  defineChangesFunction,
  EVENT_COLUMNS,
  PROFILE_COLUMNS,
  RENDERED_COLUMNS,
  toRecordedRow,
  toRenderedEvent,
} from './columns.js';
import { buildTopicDestroysFilter, listsTopic, mergeBySeq } from '../topic-destroys.js';
import { FIELDS_IN_HEAD } from './field-match.js';

/** The reading half of the SQLite change log: every method but `append`, `watch` and `close`. */
export type SqliteReader = Omit<ChangeLog, 'append' | 'waiting' | 'onCommit' | 'drain' | 'watch' | 'close'>;

/** Settings of the reads. */
export interface SqliteReaderOptions {
  /**
   * The last `seq` known to be durable, when the writer commits before its fsync (see
   * sqlite/wal-sync.ts): events past it are not read yet, so that no stream, page or relay hands out an
   * event that a power cut could still take back (and its `seq` with it). Profiles show the newest
   * committed state at once.
   */
  visibleThrough?: () => number;
  /**
   * Called before each read of what the appends write behind the OK (sqlite/deferred-writes.ts):
   * profiles, a search by name, a group's events, the events that changed a field. It writes what
   * they hold.
   */
  writeDeferred?: () => void;
}

/** Prepares the log's reads on `db`. */
export function createSqliteReader(db: Database.Database, options: SqliteReaderOptions = {}): SqliteReader {
  const { visibleThrough, writeDeferred = () => {} } = options;
  defineChangesFunction(db);
  const lastSeqStmt = db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM events');
  const selectProfile = db.prepare<[string, string], ProfileRow>(
    `SELECT ${PROFILE_COLUMNS} FROM profiles WHERE kind = ? AND id = ?`,
  );
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
    writeDeferred();
    const row = selectProfile.get(kind, id);
    return row ? toProfileView(row) : null;
  }

  /**
   * Runs the select of `columns` from `source` under `filter` (and the durable bound), with `tail`
   * after ORDER BY.
   */
  function runSelect(
    columns: string,
    source: Source,
    filter: SqlFilter,
    tail: string,
    extra: unknown[],
  ): unknown[][] {
    const clauses = filter.where === '' ? [] : [filter.where.slice('WHERE '.length)];
    const params = [...filter.params];
    if (visibleThrough) {
      clauses.push(`${source.seq} <= ?`);
      params.push(visibleThrough());
    }
    clauses.push(...source.clauses);
    params.push(...source.params);
    const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
    const sql = `SELECT ${columns} FROM ${source.from} ${where} ORDER BY ${source.seq} ${filter.order}${tail}`;
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql).raw(true);
      statements.set(sql, statement);
    }
    return statement.all(...params, ...extra) as unknown[][];
  }

  /**
   * Reads `columns` (seq first, raw among them) of the events `query` selects, one more than its
   * limit (to tell if there is a next page); for one topic, with the destroys that list it among
   * others (topic-destroys.ts).
   */
  function selectEvents(columns: string, query: EventQuery): unknown[][] {
    // A search matches names in profiles, and a group's events are found in group_events; the
    // fields a callback carried are read from its row (sqlite/field-match.ts).
    const search = query.search !== undefined && query.search !== '';
    if (search || query.groupId !== undefined) writeDeferred();
    const filter = buildEventFilter(query, FIELDS_IN_HEAD);
    const rows = runSelect(columns, sourceOf(query), filter, ' LIMIT ?', [query.limit + 1]);
    const destroys = buildTopicDestroysFilter(query, FIELDS_IN_HEAD);
    if (!destroys) return rows;
    const raw = columns.split(', ').indexOf('raw');
    const found = runSelect(columns, TOPIC_DESTROYS, destroys, '', []).filter((row) =>
      listsTopic(row[raw], query.topicId!),
    );
    return mergeBySeq(rows, found, (row) => row[0] as number, filter.order, query.limit + 1);
  }

  return {
    async listEvents(query: EventQuery): Promise<EventPage> {
      const rows = selectEvents(EVENT_COLUMNS, query);
      const more = rows.length > query.limit;
      const events = (more ? rows.slice(0, query.limit) : rows).map(toRecordedRow);
      return { events, next: more ? events[events.length - 1]!.seq : null };
    },
    async listRendered(query: EventQuery): Promise<RenderedPage> {
      const rows = selectEvents(RENDERED_COLUMNS, query);
      const more = rows.length > query.limit;
      const events = (more ? rows.slice(0, query.limit) : rows).map(toRenderedEvent);
      return { events, next: more ? events[events.length - 1]!.seq : null };
    },
    async getProfile(kind, id) {
      return loadProfile(kind, id);
    },
    async listProfiles(query): Promise<ProfilePage> {
      writeDeferred();
      // The kind as a constant: the index of a community's topics (profiles_topics) holds topics only,
      // and serves a query that states it.
      const params: unknown[] = [];
      let where = query.kind === 'topic' ? "kind = 'topic'" : "kind = 'group'";
      if (query.groupId !== undefined) {
        where += ' AND group_id = ?';
        params.push(query.groupId);
      }
      if (query.before !== undefined) {
        where += ' AND last_seq < ?';
        params.push(query.before);
      }
      const rows = cached(
        `SELECT ${PROFILE_COLUMNS} FROM profiles WHERE ${where} ORDER BY last_seq DESC, id LIMIT ?`,
      ).all(...params, query.limit + 1) as ProfileRow[];
      return pageProfiles(rows, query.limit, (lastSeq) => {
        const tie = query.groupId !== undefined ? [query.groupId, lastSeq] : [lastSeq];
        return cached(
          `SELECT ${PROFILE_COLUMNS} FROM profiles WHERE kind = ?${query.groupId !== undefined ? ' AND group_id = ?' : ''} AND last_seq = ? ORDER BY id`,
        ).all(query.kind, ...tie) as ProfileRow[];
      });
    },
    async countByTime(query: RateQuery): Promise<RateBucket[]> {
      return countByTime
        .all(query.since, query.bucketMs, query.since, query.until)
        .map((row) => ({ start: query.since + row.bucket * query.bucketMs, count: row.count }));
    },
    async stats(): Promise<LogStats> {
      const committed = lastSeqStmt.get()?.seq ?? 0;
      const lastSeq = visibleThrough ? Math.min(committed, visibleThrough()) : committed;
      const pages = db.pragma('page_count', { simple: true }) as number;
      const size = db.pragma('page_size', { simple: true }) as number;
      return { events: lastSeq, lastSeq, bytes: pages * size };
    },
  };
}

/** Where a select reads events from: its FROM, the column its seq is ordered by, its own terms. */
interface Source {
  from: string;
  seq: string;
  clauses: string[];
  params: unknown[];
}

/** The destroys of several topics, by their partial index (topic-destroys.ts). */
const TOPIC_DESTROYS: Source = {
  from: 'events INDEXED BY events_topic_destroys',
  seq: 'seq',
  clauses: [],
  params: [],
};

/**
 * The events of one group come from `group_events`, in its order, with the query's bounds on seq
 * stated on its column too, so that a page reads only its own rows; all others from `events`.
 */
function sourceOf(query: EventQuery): Source {
  if (query.groupId === undefined) return { from: 'events', seq: 'seq', clauses: [], params: [] };
  const clauses = ['g.group_key = ?'];
  const params: unknown[] = [query.groupId];
  if (query.after !== undefined) {
    clauses.push('g.event_seq > ?');
    params.push(query.after);
  }
  if (query.before !== undefined) {
    clauses.push('g.event_seq < ?');
    params.push(query.before);
  }
  return {
    from: 'group_events g JOIN events ON events.seq = g.event_seq',
    seq: 'g.event_seq',
    clauses,
    params,
  };
}
