import type Database from 'better-sqlite3';
import type { AppendResult, LogEntry, ProfileView, RecordedEvent } from '../change-log.js';
import { toNameKey } from '../event-filter.js';
import { projectEntry } from '../project-entry.js';
import {
  isInlineBody,
  joinEventHead,
  joinHeadAndBody,
  type ProfileRow,
  recordedFromEntry,
  renderedFromEntry,
  toProfileView,
} from '../rows.js';
import { PROFILE_COLUMNS } from './columns.js';
import { toDedupeHash } from './dedupe-hash.js';
import { createProfileCache } from './profile-cache.js';

/**
 * Prepares the append transaction on `db`: one transaction per batch, holding the log rows, their
 * dedupe keys, the field index and the profile projection, so that history and current state
 * never disagree. Each event's API JSON is joined from its head (the JSON its row keeps, all but
 * the body) and its body, never parsed back.
 */
export function createSqliteAppend(db: Database.Database): (entries: readonly LogEntry[]) => AppendResult[] {
  const lastSeqStmt = db.prepare<[], number | null>('SELECT max(seq) FROM events').pluck();
  const findDuplicate = db
    .prepare<[number, string], number>('SELECT seq FROM events WHERE dedupe_hash = ? AND dedupe_key = ?')
    .pluck();
  const insertEvent = db.prepare(
    `INSERT INTO events (seq, received_at, event_time, command, kind, sdk_app_id, group_id, topic_id, group_type,
       operator, opt_platform, client_ip, head, raw, raw_inline, dedupe_key, dedupe_hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // The field index of a batch, from the `changes` in its rows' heads, in SQLite: one statement per
  // batch, each head parsed once (json_tree walks `changes` and its `customFields`).
  const indexFields = db.prepare<[number, number]>(
    `INSERT INTO event_fields (seq, field)
       SELECT e.seq, CASE WHEN j.path = '$.changes' THEN j.key ELSE 'customFields.' || j.key END
         FROM events e, json_tree(e.head, '$.changes') j
         WHERE e.seq BETWEEN ? AND ? AND j.type NOT IN ('object', 'array')
           AND (j.path = '$.changes' OR j.path = '$.changes.customFields')`,
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
  const profiles = createProfileCache(db);
  function loadProfile(kind: 'group' | 'topic', id: string): ProfileView | null {
    const held = profiles.get(kind, id);
    if (held) return held;
    const row = selectProfile.get(kind, id);
    return row ? toProfileView(row) : null;
  }

  function writeProfile(row: ProfileView): void {
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

  /** Logs one fresh entry as `seq`: its row, its projection; returns its result. */
  function appendOne(entry: LogEntry, seq: number, dedupeHash: number): AppendResult {
    const projection = projectEntry(entry, seq, loadProfile);
    const head = joinEventHead(entry, seq, {
      changes: JSON.stringify(entry.changes),
      diff: JSON.stringify(projection.diff),
      superseded: projection.superseded.length > 0 ? JSON.stringify(projection.superseded) : null,
    });
    const rawInline = isInlineBody(entry.rawBody);
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
      head,
      entry.rawBody,
      rawInline ? 1 : 0,
      entry.dedupeKey,
      dedupeHash,
    );
    for (const row of projection.writes) writeProfile(row);
    let event: RecordedEvent | undefined;
    return {
      seq,
      duplicate: false,
      rendered: renderedFromEntry(entry, seq, () => joinHeadAndBody(head, entry.rawBody, rawInline)),
      // Built when first read: the recorder sends the rendered JSON and seldom needs the object.
      get event() {
        event ??= recordedFromEntry(entry, seq, projection.diff, projection.superseded);
        return event;
      },
    };
  }

  // IMMEDIATE: take the write lock at BEGIN, so max(seq) read below cannot be raced by another
  // process sharing the file.
  const appendBatch = db.transaction((entries: readonly LogEntry[]): AppendResult[] => {
    profiles.check();
    const first = (lastSeqStmt.get() ?? 0) + 1;
    let next = first;
    const results: AppendResult[] = [];
    for (const entry of entries) {
      const dedupeHash = toDedupeHash(entry.dedupeKey);
      const existing = findDuplicate.get(dedupeHash, entry.dedupeKey);
      if (existing !== undefined) results.push({ seq: existing, duplicate: true });
      else results.push(appendOne(entry, next++, dedupeHash));
    }
    if (next > first) indexFields.run(first, next - 1);
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
