import type postgres from 'postgres';
import type { AppendResult, LogEntry, ProfileView } from './change-log.js';
import { toFieldNames, toNameKey } from './event-filter.js';
import type { PostgresPool } from './postgres-connect.js';
import { APPEND_LOCK } from './postgres-migrations.js';
import { toStorableEntry } from './postgres-text.js';
import { projectEntry } from './project-entry.js';
import { type ProfileRow, recordedFromEntry, renderEvent, renderHead, toProfileView } from './rows.js';

/** Where an append writes and whom it tells. */
export interface AppendScope {
  /** The schema: the second key of the append lock, so that schemas do not wait on each other. */
  schema: string;
  /** The NOTIFY channel of this log. */
  channel: string;
  /** Prefixes the NOTIFY payload, so that an instance knows its own appends (`<instanceId>:<lastSeq>`). */
  instanceId: string;
}

/** The profiles columns (and `name_key`, written only), as the reads and the upsert list them. */
export const PROFILE_COLUMNS =
  'kind, id, group_id, group_type, fields, created_at, destroyed_at, first_seq, last_seq, last_changed_at, last_operator, change_count';

/**
 * One row of `events`, keyed by column: a batch is written by one statement over
 * `json_to_recordset`, whatever its size. One JSON parameter costs the client far less than an
 * array per column (each element escaped by postgres.js) and the server no more.
 */
interface EventRow {
  seq: number;
  received_at: number;
  event_time: number | null;
  command: string;
  kind: string;
  sdk_app_id: string;
  group_id: string | null;
  topic_id: string | null;
  group_type: string | null;
  operator: string | null;
  opt_platform: string | null;
  client_ip: string | null;
  changes: string;
  diff: string;
  superseded: string | null;
  raw: string;
  dedupe_key: string;
  head: string | null;
}

/**
 * Commits `entries` in one transaction: log rows, dedupe, projection, field index, and a NOTIFY
 * to the other instances, delivered at commit.
 *
 * Several instances append to one database at once (issue 7), so every append first takes a
 * transaction-level advisory lock, held until commit:
 * - No reader skips an event. Seqs are `max(seq) + 1…` read under the lock, so a transaction
 *   holding seq N commits before any transaction can take N + 1; a reader paging "after N" never
 *   sees N + 1 while N is still uncommitted. (A sequence alone would let N + 1 commit first.) It
 *   also leaves no gap on rollback, so `max(seq)` stays the number of events, as on SQLite.
 * - The projection's read-modify-write (profiles merged in JavaScript by `projectEntry`) is not
 *   raced: per-field newest `EventTime` wins, and no instance overwrites another's update.
 * - Dedupe is a plain read: no other append can insert a key between the read and the commit.
 * The lock serialises appends, so the transaction is kept short: two round trips on a reserved
 * connection. The first pipelines BEGIN, the lock and the three reads; the projection is computed in
 * memory; the second pipelines the three writes of one statement each, the NOTIFY and COMMIT.
 * (`sql.begin` would add a round trip for BEGIN and one for COMMIT, each under the lock but BEGIN's.)
 */
export async function appendEntries(
  sql: PostgresPool,
  scope: AppendScope,
  received: readonly LogEntry[],
): Promise<AppendResult[]> {
  const entries = received.map(toStorableEntry);
  const keys = entries.map((entry) => entry.dedupeKey);
  const wanted = listProfileKeys(entries);
  const tx = await sql.reserve();
  // True from BEGIN until COMMIT has answered: a failure in between rolls back before release.
  let open = true;
  try {
    // READ COMMITTED whatever the server's default: each statement then reads what was committed
    // before it started, so the reads after the lock see every earlier append. (Under REPEATABLE
    // READ the snapshot would be taken by the lock's own SELECT, before waiting.) Pipelined: the
    // server runs them in order, the reads once the lock is held.
    const [, , [top], rows, found] = await Promise.all([
      tx`BEGIN ISOLATION LEVEL READ COMMITTED`,
      tx`SELECT pg_advisory_xact_lock(${APPEND_LOCK}, hashtext(${scope.schema}))`,
      tx<Array<{ seq: number }>>`SELECT coalesce(max(seq), 0) AS seq FROM events`,
      tx<ProfileRow[]>`
        SELECT ${tx.unsafe(PROFILE_COLUMNS)} FROM profiles
        WHERE (kind, id) IN (SELECT * FROM unnest(${wanted.kinds}::text[], ${wanted.ids}::text[]))`,
      tx<Array<{ dedupe_key: string; seq: number }>>`
        SELECT dedupe_key, seq FROM events WHERE dedupe_key = ANY(${keys}::text[])`,
    ]);
    const seen = new Map(found.map((row) => [row.dedupe_key, row.seq]));
    const profiles = new Map(rows.map((row) => [profileKey(row.kind, row.id), toProfileView(row)]));
    const written = new Set<string>();
    const events: EventRow[] = [];
    const fields: { seq: number[]; field: string[] } = { seq: [], field: [] };
    const results: AppendResult[] = [];
    let next = (top?.seq ?? 0) + 1;
    for (const entry of entries) {
      const existing = seen.get(entry.dedupeKey);
      if (existing !== undefined) {
        results.push({ seq: existing, duplicate: true });
        continue;
      }
      const seq = next++;
      seen.set(entry.dedupeKey, seq);
      // Profiles are read once for the batch and kept current here as each entry is projected.
      const projection = projectEntry(entry, seq, (kind, id) => profiles.get(profileKey(kind, id)) ?? null);
      for (const row of projection.writes) {
        const key = profileKey(row.kind, row.id);
        profiles.set(key, row);
        written.add(key);
      }
      const event = recordedFromEntry(entry, seq, projection.diff, projection.superseded);
      const head = renderHead(event, entry.rawBody);
      events.push(toEventRow(entry, seq, event.diff, projection.superseded, head));
      for (const field of toFieldNames(entry.changes)) {
        fields.seq.push(seq);
        fields.field.push(field);
      }
      results.push({ seq, duplicate: false, event, rendered: renderEvent(event, entry.rawBody, head) });
    }
    const upserts = [...written].map((key) => profiles.get(key)!);
    const writes =
      events.length === 0
        ? []
        : [
            insertEvents(tx, events),
            fields.seq.length > 0 && insertFields(tx, fields),
            upserts.length > 0 && upsertProfiles(tx, upserts),
            tx`SELECT pg_notify(${scope.channel}, ${`${scope.instanceId}:${next - 1}`})`,
          ];
    const done = await Promise.all([...writes, tx`COMMIT`]);
    open = false;
    // A statement that failed rejects the Promise.all above; COMMIT then answers ROLLBACK.
    const commit = done[done.length - 1] as { command?: string };
    if (commit.command !== 'COMMIT') throw new Error(`the append's COMMIT answered ${commit.command}`);
    return results;
  } catch (error) {
    // After a failed statement COMMIT (already sent) has rolled back; ROLLBACK then only warns.
    if (open) await tx`ROLLBACK`.catch(() => {});
    throw error;
  } finally {
    tx.release();
  }
}

type Tx = postgres.ReservedSql<{ bigint: number }>;

function insertEvents(tx: Tx, rows: readonly EventRow[]) {
  return tx`
    INSERT INTO events (seq, received_at, event_time, command, kind, sdk_app_id, group_id, topic_id,
      group_type, operator, opt_platform, client_ip, changes, diff, superseded, raw, dedupe_key, head)
    SELECT * FROM json_to_recordset(${toJsonParam(rows)}::text::json) AS r(seq bigint,
      received_at bigint, event_time bigint, command text, kind text, sdk_app_id text, group_id text,
      topic_id text, group_type text, operator text, opt_platform text, client_ip text, changes text,
      diff text, superseded text, raw text, dedupe_key text, head text)`;
}

function insertFields(tx: Tx, fields: { seq: number[]; field: string[] }) {
  return tx`
    INSERT INTO event_fields (seq, field)
    SELECT * FROM unnest(${fields.seq}::bigint[], ${fields.field}::text[])`;
}

function upsertProfiles(tx: Tx, profiles: readonly ProfileView[]) {
  const rows = profiles.map((r) => ({
    kind: r.kind,
    id: r.id,
    group_id: r.groupId,
    group_type: r.groupType,
    fields: JSON.stringify(r.fields),
    created_at: r.createdAt,
    destroyed_at: r.destroyedAt,
    first_seq: r.firstSeq,
    last_seq: r.lastSeq,
    last_changed_at: r.lastChangedAt,
    last_operator: r.lastOperator,
    change_count: r.changeCount,
    name_key: toNameKey(r),
  }));
  return tx`
    INSERT INTO profiles (${tx.unsafe(PROFILE_COLUMNS)}, name_key)
    SELECT * FROM json_to_recordset(${toJsonParam(rows)}::text::json) AS r(kind text, id text,
      group_id text, group_type text, fields text, created_at bigint, destroyed_at bigint,
      first_seq bigint, last_seq bigint, last_changed_at bigint, last_operator text,
      change_count bigint, name_key text)
    ON CONFLICT (kind, id) DO UPDATE SET group_id = excluded.group_id, group_type = excluded.group_type,
      fields = excluded.fields, created_at = excluded.created_at, destroyed_at = excluded.destroyed_at,
      last_seq = excluded.last_seq, last_changed_at = excluded.last_changed_at,
      last_operator = excluded.last_operator, change_count = excluded.change_count,
      name_key = excluded.name_key`;
}

/** A lone surrogate as `JSON.stringify` escapes it (a pair is written as it is), not itself escaped. */
const LONE_SURROGATE = /(?<=(?:^|[^\\])(?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;

/**
 * `value` as JSON text for a `::text::json` parameter. A lone surrogate (which JSON.parse gives for
 * a `\ud800` escape in a callback) is written as U+FFFD, as postgres.js writes it in a text
 * parameter: PostgreSQL refuses its escape when turning JSON into text, and with it the batch.
 */
export function toJsonParam(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes('\\ud') ? json.replace(LONE_SURROGATE, '\\ufffd') : json;
}

/** Every profile `projectEntry` may load for the batch (a few more is harmless). */
function listProfileKeys(entries: readonly LogEntry[]): { kinds: string[]; ids: string[] } {
  const keys = new Map<string, [string, string]>();
  for (const entry of entries) {
    const ids =
      entry.effect === 'destroy' && entry.kind === 'topic'
        ? entry.topicIds
        : [entry.kind === 'group' ? entry.groupId : entry.topicId];
    for (const id of ids) if (id) keys.set(profileKey(entry.kind, id), [entry.kind, id]);
  }
  const pairs = [...keys.values()];
  return { kinds: pairs.map(([kind]) => kind), ids: pairs.map(([, id]) => id) };
}

function profileKey(kind: string, id: string): string {
  return `${kind}\n${id}`;
}

function toEventRow(
  entry: LogEntry,
  seq: number,
  diff: unknown,
  superseded: readonly string[],
  head: string | null,
): EventRow {
  return {
    seq,
    received_at: entry.receivedAt,
    event_time: entry.eventTime,
    command: entry.command,
    kind: entry.kind,
    sdk_app_id: entry.sdkAppId,
    group_id: entry.groupId,
    topic_id: entry.topicId,
    group_type: entry.groupType,
    operator: entry.operator,
    opt_platform: entry.optPlatform,
    client_ip: entry.clientIp,
    changes: JSON.stringify(entry.changes),
    diff: JSON.stringify(diff),
    superseded: superseded.length > 0 ? JSON.stringify(superseded) : null,
    raw: entry.rawBody,
    dedupe_key: entry.dedupeKey,
    head,
  };
}
