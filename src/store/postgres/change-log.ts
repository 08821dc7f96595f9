import { randomUUID } from 'node:crypto';
import type {
  ChangeLog,
  EventPage,
  EventQuery,
  LogStats,
  ProfilePage,
  RateBucket,
  RateQuery,
  RenderedEvent,
  RenderedPage,
} from '../change-log.js';
import { createGroupCommit, type GroupCommitOptions } from '../group-commit.js';
import { appendEntries, PROFILE_COLUMNS } from './append.js';
import { connectPostgres, type PostgresConnectOptions } from './connect.js';
import { buildEventSelect, buildTopicDestroysSelect } from './filter.js';
import { migratePostgres } from './migrations.js';
import { toStorableText } from './text.js';
import { type AppendWatch, listenForAppends, toChannel } from './watch.js';
import { listsTopic, mergeBySeq } from '../topic-destroys.js';
import {
  type EventRow,
  joinRendered,
  type ProfileRow,
  renderEvent,
  toProfileView,
  toRecordedEvent,
} from '../rows.js';
import { pageProfiles } from '../profile-page.js';

/** Settings of the PostgreSQL change log. */
export interface PostgresOptions extends PostgresConnectOptions {
  /**
   * Told when a `watch` listener throws (the other listeners are still called), or when the read
   * that follows a lost listen connection fails. Default: printed to stderr.
   */
  onWatchError?: (error: unknown) => void;
  groupCommit?: GroupCommitOptions;
}

const EVENT_COLUMNS =
  'seq, received_at, event_time, command, kind, sdk_app_id, group_id, topic_id, group_type, operator, opt_platform, client_ip, changes, diff, superseded, raw';

const RENDERED_COLUMNS = 'seq, received_at, command, kind, group_id, topic_id, head, raw';

interface RenderedRow {
  seq: number;
  received_at: number;
  command: string;
  kind: RenderedEvent['kind'];
  group_id: string | null;
  topic_id: string | null;
  head: string | null;
  raw: string;
}

/**
 * `url` asking the server to plan each statement for its parameters (`plan_cache_mode`), unless it
 * says otherwise. postgres.js prepares every statement; after five runs PostgreSQL may keep a
 * generic plan, costed with the table's size at that moment, until the table is next analyzed.
 * The log's tables start empty and grow: a plan made while they were small (a sequential scan for
 * the dedupe lookup) stayed on for good where autovacuum is off, and each append then read the
 * whole log. Planning these statements costs well under a millisecond.
 */
function withCustomPlans(url: string): string {
  if (/[?&]plan_cache_mode=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}plan_cache_mode=force_custom_plan`;
}

/**
 * Opens (creating and migrating as needed) a change log in a PostgreSQL database, shared safely by
 * several recorder instances: appends are serialised by an advisory lock so that no
 * reader skips an event (see `appendEntries`), and each instance's `watch` hears the others'
 * appends by LISTEN/NOTIFY. Rejects when the database cannot be reached.
 *
 * @example const log = await openPostgresChangeLog({ url: 'postgres://timhook@db/timhook', max: 10 });
 */
export async function openPostgresChangeLog(options: PostgresOptions): Promise<ChangeLog> {
  const schema = options.schema ?? 'public';
  const { onWatchError = (error) => console.error('[timhook] change log watch:', error) } = options;
  const sql = connectPostgres({ ...options, url: withCustomPlans(options.url) });
  const scope = { schema, channel: toChannel(schema), instanceId: randomUUID() };
  const readLastSeq = async (): Promise<number> => {
    const [row] = await sql<Array<{ seq: number }>>`SELECT coalesce(max(seq), 0) AS seq FROM events`;
    return row?.seq ?? 0;
  };
  let watch: AppendWatch;
  try {
    await migratePostgres(sql, schema);
    watch = await listenForAppends(sql, { ...scope, readLastSeq, onError: onWatchError });
  } catch (error) {
    await sql.end({ timeout: 0 });
    throw error;
  }

  /**
   * Reads `columns` (seq and raw among them) of the events `query` selects, one more than its
   * limit; for one topic, with the destroys that list it among others (topic-destroys.ts).
   */
  async function selectEvents<T extends { seq: number | string; raw: string }>(
    columns: string,
    query: EventQuery,
  ): Promise<T[]> {
    const select = buildEventSelect(columns, query);
    const destroys = buildTopicDestroysSelect(columns, query);
    const [rows, candidates] = await Promise.all([
      sql.unsafe<T[]>(select.text, select.params, { prepare: true }),
      destroys ? sql.unsafe<T[]>(destroys.text, destroys.params, { prepare: true }) : [],
    ]);
    if (!destroys) return rows;
    const found = candidates.filter((row) => listsTopic(row.raw, query.topicId!));
    return mergeBySeq(rows, found, (row) => Number(row.seq), select.order, query.limit + 1);
  }

  /** Rows whose body could not be spliced (rows.ts renderHead) are rendered from their columns. */
  async function renderRows(rows: readonly RenderedRow[]): Promise<RenderedEvent[]> {
    const bare = rows.filter((row) => row.head === null).map((row) => row.seq);
    const full = new Map<number, EventRow>();
    if (bare.length > 0) {
      const found = await sql<EventRow[]>`
        SELECT ${sql.unsafe(EVENT_COLUMNS)} FROM events WHERE seq = ANY(${bare}::bigint[])`;
      for (const row of found) full.set(Number(row.seq), row);
    }
    return rows.map((row) => {
      if (row.head === null) return renderEvent(toRecordedEvent(full.get(row.seq)!), row.raw, null);
      return {
        seq: row.seq,
        receivedAt: row.received_at,
        command: row.command,
        kind: row.kind,
        groupId: row.group_id,
        topicId: row.topic_id,
        json: joinRendered(row.head, row.raw),
        raw: row.raw,
      };
    });
  }

  // The committer takes what is waiting when it starts, and again when it reads its batch anew
  // under the append lock (see appendEntries); the next commit starts once this one has returned.
  const commits = createGroupCommit((take) => {
    const results = appendEntries(sql, scope, take);
    return { written: results.then(noop, noop), results };
  }, options.groupCommit);
  let closing: Promise<void> | null = null;
  return {
    append: commits.append,
    waiting: commits.waiting,
    onCommit: commits.onCommit,
    drain: commits.drain,
    async listEvents(query): Promise<EventPage> {
      const rows = await selectEvents<EventRow>(EVENT_COLUMNS, query);
      const more = rows.length > query.limit;
      const events = (more ? rows.slice(0, query.limit) : rows).map(toRecordedEvent);
      return { events, next: more ? events[events.length - 1]!.seq : null };
    },
    async listRendered(query): Promise<RenderedPage> {
      const rows = await selectEvents<RenderedRow>(RENDERED_COLUMNS, query);
      const more = rows.length > query.limit;
      const events = await renderRows(more ? rows.slice(0, query.limit) : rows);
      return { events, next: more ? events[events.length - 1]!.seq : null };
    },
    watch(listener) {
      return watch.add(listener);
    },
    async getProfile(kind, id) {
      const [row] = await sql<ProfileRow[]>`
        SELECT ${sql.unsafe(PROFILE_COLUMNS)} FROM profiles WHERE kind = ${kind} AND id = ${toStorableText(id)}`;
      return row ? toProfileView(row) : null;
    },
    async listProfiles(query): Promise<ProfilePage> {
      const rows = await sql<ProfileRow[]>`
        SELECT ${sql.unsafe(PROFILE_COLUMNS)} FROM profiles WHERE kind = ${query.kind}
        ${query.groupId !== undefined ? sql`AND group_id = ${toStorableText(query.groupId)}` : sql``}
        ${query.before !== undefined ? sql`AND last_seq < ${query.before}` : sql``}
        ORDER BY last_seq DESC, id COLLATE "C" LIMIT ${query.limit + 1}`;
      return pageProfiles(
        rows,
        query.limit,
        (lastSeq) => sql<ProfileRow[]>`
          SELECT ${sql.unsafe(PROFILE_COLUMNS)} FROM profiles WHERE kind = ${query.kind}
          ${query.groupId !== undefined ? sql`AND group_id = ${toStorableText(query.groupId)}` : sql``}
          AND last_seq = ${lastSeq} ORDER BY id COLLATE "C"`,
      );
    },
    async countByTime(query: RateQuery): Promise<RateBucket[]> {
      const rows = await sql<Array<{ bucket: number; count: number }>>`
        SELECT (received_at - ${query.since}) / ${query.bucketMs} AS bucket, count(*) AS count
        FROM events WHERE received_at >= ${query.since} AND received_at < ${query.until}
        GROUP BY bucket ORDER BY bucket`;
      return rows.map((row) => ({ start: query.since + row.bucket * query.bucketMs, count: row.count }));
    },
    async stats(): Promise<LogStats> {
      // Seqs have no gaps (taken under the append lock, see appendEntries): the last one is the
      // count, without counting a large table.
      const [row] = await sql<Array<{ seq: number; bytes: number }>>`
        SELECT coalesce((SELECT max(seq) FROM events), 0) AS seq,
          pg_total_relation_size('events') + pg_total_relation_size('event_fields')
            + pg_total_relation_size('profiles') AS bytes`;
      const lastSeq = row?.seq ?? 0;
      return { events: lastSeq, lastSeq, bytes: row?.bytes ?? 0 };
    },
    close() {
      // Ends the pool and, with it, the listen connection.
      closing ??= (async () => {
        await commits.close();
        watch.clear();
        await sql.end({ timeout: 5 });
      })();
      return closing;
    },
  };
}

function noop(): void {}
