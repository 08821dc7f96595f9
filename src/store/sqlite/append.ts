import type Database from 'better-sqlite3';
import type { FieldDiff } from '../../protocol/index.js';
import type { AppendResult, LogEntry, ProfileView, RecordedEvent } from '../change-log.js';
import { toFieldNames, toNameKey } from '../event-filter.js';
import { projectEntry } from '../project-entry.js';
import {
  joinRendered,
  type ProfileRow,
  recordedFromEntry,
  renderedFromEntry,
  renderEvent,
  renderHead,
  toProfileView,
} from '../rows.js';
import { PROFILE_COLUMNS } from './columns.js';
import { createProfileCache } from './profile-cache.js';

/**
 * What the append transaction gives back for one entry: only what the caller cannot compute from
 * the entry itself, so that it crosses a thread cheaply (see sqlite/threaded.ts).
 */
export type AppendOutcome =
  | { seq: number; duplicate: true }
  | { seq: number; duplicate: false; diff: FieldDiff[]; superseded: string[]; head: string | null };

/**
 * Prepares the append transaction on `db`: one transaction per batch, holding the log rows, their
 * dedupe keys, the field index and the profile projection, so that history and current state
 * never disagree (DESIGN.md "How data flows").
 */
export function createSqliteAppend(db: Database.Database): (entries: readonly LogEntry[]) => AppendOutcome[] {
  const lastSeqStmt = db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM events');
  const findDuplicate = db.prepare<[string], { seq: number }>('SELECT seq FROM events WHERE dedupe_key = ?');
  const insertEvent = db.prepare(
    `INSERT INTO events (seq, received_at, event_time, command, kind, sdk_app_id, group_id, topic_id, group_type,
       operator, opt_platform, client_ip, changes, diff, superseded, raw, dedupe_key, head)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
  const insertFields = createFieldsInsert(db);
  const profiles = createProfileCache(db);
  function loadProfile(kind: 'group' | 'topic', id: string): ProfileView | null {
    const held = profiles.get(kind, id);
    if (held) return held;
    const row = selectProfile.get(kind, id);
    return row ? toProfileView(row) : null;
  }

  // IMMEDIATE: take the write lock at BEGIN, so max(seq) read below cannot be raced by another
  // process sharing the file.
  const appendBatch = db.transaction((entries: readonly LogEntry[]): AppendOutcome[] => {
    profiles.check();
    let next = (lastSeqStmt.get()?.seq ?? 0) + 1;
    const results: AppendOutcome[] = [];
    const fields: Array<number | string> = [];
    for (const entry of entries) {
      const existing = findDuplicate.get(entry.dedupeKey);
      if (existing) {
        results.push({ seq: existing.seq, duplicate: true });
        continue;
      }
      const seq = next++;
      const projection = projectEntry(entry, seq, loadProfile);
      const event = recordedFromEntry(entry, seq, projection.diff, projection.superseded);
      const head = renderHead(event, entry.rawBody);
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
        head,
      );
      for (const field of toFieldNames(entry.changes)) fields.push(seq, field);
      for (const row of projection.writes) {
        profiles.set(row);
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
      results.push({ seq, duplicate: false, diff: projection.diff, superseded: projection.superseded, head });
    }
    insertFields(fields);
    return results;
  });

  return (entries) => {
    if (entries.length === 0) return [];
    try {
      return appendBatch.immediate(entries);
    } catch (error) {
      // Rolled back: the rows cached during the transaction were never committed.
      profiles.clear();
      throw error;
    }
  };
}

/** Rows per statement of the field index's insert: one statement per 32 rows costs far less than 32. */
const FIELD_ROWS = 32;

/**
 * Prepares the insert of the field index (`seq, field` pairs, flat): 32 rows per statement, the
 * rest one by one.
 */
function createFieldsInsert(db: Database.Database): (pairs: ReadonlyArray<number | string>) => void {
  const sql = (rows: number) =>
    `INSERT INTO event_fields (seq, field) VALUES ${Array.from({ length: rows }, () => '(?, ?)').join(', ')}`;
  const many = db.prepare(sql(FIELD_ROWS));
  const one = db.prepare(sql(1));
  return (pairs) => {
    let i = 0;
    for (; i + 2 * FIELD_ROWS <= pairs.length; i += 2 * FIELD_ROWS)
      many.run(pairs.slice(i, i + 2 * FIELD_ROWS));
    for (; i < pairs.length; i += 2) one.run(pairs[i], pairs[i + 1]);
  };
}

/**
 * The results of an append, from its entries and the transaction's outcomes. Each `event` is
 * built when first read: the recorder sends the rendered JSON and seldom needs the object.
 */
export function toAppendResults(
  entries: readonly LogEntry[],
  outcomes: readonly AppendOutcome[],
): AppendResult[] {
  return outcomes.map((outcome, i) => {
    if (outcome.duplicate) return outcome;
    const entry = entries[i]!;
    const { seq, diff, superseded, head } = outcome;
    if (head === null) {
      const event = recordedFromEntry(entry, seq, diff, superseded);
      return { seq, duplicate: false, event, rendered: renderEvent(event, entry.rawBody, null) };
    }
    const rendered = renderedFromEntry(entry, seq, joinRendered(head, entry.rawBody));
    let event: RecordedEvent | undefined;
    return {
      seq,
      duplicate: false,
      rendered,
      get event() {
        event ??= recordedFromEntry(entry, seq, diff, superseded);
        return event;
      },
    };
  });
}
