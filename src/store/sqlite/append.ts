import type Database from 'better-sqlite3';
import { hasObjectBody } from '../../protocol/object-bodies.js';
import { isChangeOfBody } from '../body-changes.js';
import type { AppendResult, LogEntry } from '../change-log.js';
import { projectEntry } from '../project-entry.js';
import { isInlineBody, loggedResult, storedHead } from '../rows.js';
import { createBulkInsert } from './bulk-insert.js';
import { toDedupeHash } from './dedupe-hash.js';
import { effectColumn, topicIdsColumn } from './logged-entry.js';
import type { DeferredWrites } from './deferred-writes.js';

/**
 * Prepares the append transaction on `db`: one transaction per batch, holding the log rows. The
 * projection is planned in it, so each event's diff is logged with it; its profile rows and dedupe
 * keys are handed to `deferred`, which writes them and each group's events in bulk behind the OK
 * (sqlite/deferred-writes.ts). Each event's API JSON is joined from its head
 * (the JSON of all but the body: its row keeps the part its columns do not hold) and its body,
 * never parsed back.
 */
export function createSqliteAppend(
  db: Database.Database,
  deferred: DeferredWrites,
): (entries: readonly LogEntry[]) => AppendResult[] {
  const lastSeqStmt = db.prepare<[], number | null>('SELECT max(seq) FROM events').pluck();
  // The batch's rows go in at its end, many to a statement (sqlite/bulk-insert.ts).
  const insertEvents = createBulkInsert(
    db,
    `INSERT INTO events (seq, received_at, event_time, command, kind, sdk_app_id, group_id, topic_id, group_type,
       operator, opt_platform, client_ip, head, raw, raw_inline, dedupe_key, dedupe_hash, effect, topic_ids)`,
    19,
  );
  /**
   * Plans one fresh entry as `seq`: its projection, and its row's values added to `rows`; returns
   * its result.
   */
  function appendOne(entry: LogEntry, seq: number, dedupeHash: number, rows: unknown[]): AppendResult {
    const projection = projectEntry(entry, seq, deferred.load);
    // The row keeps what its columns do not hold (sqlite/columns.ts HEAD_SQL joins the rest on
    // read): a third of the bytes of the row, and of the commit and the checkpoint that copy it.
    // Nor does it keep the changes its body holds (store/body-changes.ts).
    const changes = isChangeOfBody(entry) ? null : entry.changes;
    const stored = storedHead(changes, projection.diff, projection.superseded);
    const rawInline = isInlineBody(entry.rawBody, hasObjectBody(entry));
    rows.push(
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
      stored,
      entry.rawBody,
      rawInline ? 1 : 0,
      entry.dedupeKey,
      dedupeHash,
      effectColumn(entry),
      topicIdsColumn(entry),
    );
    for (const row of projection.writes) deferred.stage(row);
    return loggedResult(entry, seq, stored, rawInline);
  }

  // The last seq of the batch being committed, for `deferred.committed`.
  let lastSeq = 0;
  // IMMEDIATE: take the write lock at BEGIN, so max(seq) read below cannot be raced by another
  // process sharing the file.
  const appendBatch = db.transaction((entries: readonly LogEntry[]): AppendResult[] => {
    const first = (lastSeqStmt.get() ?? 0) + 1;
    deferred.begin(first - 1);
    let next = first;
    const results: AppendResult[] = [];
    const rows: unknown[] = [];
    for (const entry of entries) {
      const dedupeHash = toDedupeHash(entry.dedupeKey);
      const existing = deferred.findDuplicate(dedupeHash, entry.dedupeKey);
      if (existing !== undefined) {
        results.push({ seq: existing, duplicate: true });
        continue;
      }
      deferred.noteLogged(next, entry.dedupeKey, dedupeHash, entry.groupId);
      results.push(appendOne(entry, next++, dedupeHash, rows));
    }
    insertEvents(rows, next - first);
    lastSeq = next - 1;
    return results;
  });

  return (entries) => {
    if (entries.length === 0) return [];
    let results: AppendResult[];
    try {
      results = appendBatch.immediate(entries);
    } catch (error) {
      // Rolled back: the rows merged during the transaction were never committed.
      deferred.rolledBack();
      throw error;
    }
    deferred.committed(lastSeq);
    return results;
  };
}
