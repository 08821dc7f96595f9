import type postgres from 'postgres';
import type { ProfileView } from '../change-log.js';
import { toNameKey } from '../event-filter.js';
import { APPEND_LOCK } from './migrations.js';
import { toStorableText } from './text.js';
import type { EventRow, ProfileRow } from '../rows.js';

/** The profiles columns (and `name_key`, written only), as the reads and the upsert list them. */
export const PROFILE_COLUMNS =
  'kind, id, group_id, group_type, fields, created_at, destroyed_at, first_seq, last_seq, last_changed_at, last_operator, change_count';

/** A connection reserved for one append. */
export type AppendTx = postgres.ReservedSql<{ bigint: number }>;

/**
 * One row of `events`, keyed by column: a batch is written by one statement over
 * `json_to_recordset`, whatever its size. One JSON parameter costs the client far less than an
 * array per column (each element escaped by postgres.js) and the server no more.
 *
 * Seqs are not known when a batch is planned (postgres/append-plan.ts): the k-th new event of the
 * batch is numbered `-k`, wherever a seq is written (here, `head`, and the profiles), and
 * `timhook_append` turns `-k` into `top + k`, `top` being the last seq it finds under the lock.
 */
export interface EventInsert extends Omit<EventRow, 'seq' | 'received_at' | 'event_time'> {
  /** `-k`. */
  seq: number;
  received_at: number;
  event_time: number | null;
  dedupe_key: string;
  /** Starts `{"seq":-k,`, or null (see rows.ts renderHead). */
  head: string | null;
}

/** What one append writes: its events, their field index, the profiles it changed. */
export interface BatchWrites {
  events: EventInsert[];
  fields: { seq: number[]; field: string[] };
  profiles: ProfileView[];
}

/** What a planned batch was planned on, which `timhook_append` checks under the lock. */
export interface BatchBasis {
  /** The last seq when the batch's profiles and dedupe keys were read. */
  top: number;
  /** Every group and topic whose profile the batch read. */
  profiles: { kinds: string[]; ids: string[] };
  /** The batch's dedupe keys that were not logged yet. */
  freshKeys: string[];
}

/** What the log held for a batch when it was read. */
export interface BatchReads {
  /** The last seq. */
  top: number;
  /** The seq of each of the batch's dedupe keys already logged. */
  seen: Map<string, number>;
  /** The current rows of the batch's groups and topics. */
  profiles: ProfileRow[];
}

/** Takes the append lock of `schema` (postgres/append.ts), waiting while another transaction holds it. */
export function lockAppends(tx: AppendTx, schema: string) {
  return tx`SELECT pg_advisory_xact_lock(${APPEND_LOCK}, hashtext(${schema}))`.execute();
}

/**
 * Reads, in one statement (one snapshot), the last seq, which of `keys` are logged, and the profile
 * rows of `wanted`. Sent at once, before whatever is created next.
 */
export async function readBatch(
  tx: AppendTx,
  keys: readonly string[],
  wanted: { kinds: string[]; ids: string[] },
): Promise<BatchReads> {
  const [row] = await tx<Array<{ top: number; seen: string | null; profiles: string | null }>>`
    SELECT (SELECT coalesce(max(seq), 0) FROM events) AS top,
      (SELECT json_agg(json_build_array(dedupe_key, seq)) FROM events
        WHERE dedupe_key = ANY(${keys as string[]}::text[]))::text AS seen,
      (SELECT json_agg(p) FROM (SELECT ${tx.unsafe(PROFILE_COLUMNS)} FROM profiles
        WHERE (kind, id) IN (SELECT * FROM unnest(${wanted.kinds}::text[], ${wanted.ids}::text[]))) p)::text
        AS profiles`.execute();
  const seen = row!.seen === null ? [] : (JSON.parse(row!.seen) as Array<[string, number]>);
  return {
    top: row!.top,
    seen: new Map(seen),
    profiles: row!.profiles === null ? [] : (JSON.parse(row!.profiles) as ProfileRow[]),
  };
}

/**
 * Appends a planned batch by one call of `timhook_append` (postgres/append-function.ts), which
 * takes the append lock, checks the batch's basis, and writes it numbered from the last seq;
 * resolves with that last seq, or null when the basis had changed and nothing was written. On its
 * own the call is a transaction; in an open one, it is a step of it. Sent at once.
 */
export async function appendPlanned(
  tx: AppendTx,
  schema: string,
  writes: BatchWrites,
  basis: BatchBasis,
  notify: { channel: string; instanceId: string },
): Promise<number | null> {
  const [row] = await tx<Array<{ top: number | null }>>`
    SELECT timhook_append(${APPEND_LOCK}, hashtext(${schema}), ${basis.top},
      ${basis.profiles.kinds}::text[], ${basis.profiles.ids}::text[], ${basis.freshKeys}::text[],
      ${toJsonParam(writes.events)}, ${writes.fields.seq}::bigint[], ${writes.fields.field}::text[],
      ${toJsonParam(writes.profiles.map(toProfileInsert))}, ${notify.channel}, ${notify.instanceId}) AS top`.execute();
  return row!.top;
}

function toProfileInsert(r: ProfileView) {
  return {
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
    name_key: toStorableName(toNameKey(r)),
  };
}

/** The search key of a name, in a text column: only ever compared with a search, written as it. */
function toStorableName(key: string | null): string | null {
  return key === null ? null : toStorableText(key);
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
