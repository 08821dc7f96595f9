import type { RelayClaim, RelayProgress, RelaySinkState, RelayState } from '../relay-state.js';
import * as shared from '../relay-state-rows.js';
import { openSideConnection } from './side-connection.js';

/** Settings of the SQLite relay state. */
export interface SqliteRelayStateOptions {
  /** The change log's database file (the relay state lives beside the log); `:memory:` for tests. */
  path: string;
  now?: () => number;
}

/**
 * Opens the relay state in the change log's SQLite file, on a connection of its own (WAL lets it
 * write beside the log's). Cursor writes use synchronous=NORMAL: a cursor lost to a power cut only
 * means events delivered again, with the same ids (at least once). The SQL both stores share is in
 * `relay-state-rows.ts`; a lease is judged by `now`, and a window is committed in one IMMEDIATE
 * transaction.
 */
export function openSqliteRelayState(options: SqliteRelayStateOptions): RelayState {
  const { path, now = Date.now } = options;
  const db = openSideConnection(path);

  const selectSink = db.prepare<[string], shared.SinkRow>(`${shared.SINK_SELECT} WHERE s.sink = ?`);
  const selectSinks = db.prepare<[], shared.SinkRow>(`${shared.SINK_SELECT} ORDER BY s.sink`);
  const insertSink = db.prepare<[string, number, number]>(
    'INSERT OR IGNORE INTO relay_sinks (sink, cursor, created_at) VALUES (?, ?, ?)',
  );
  const takeLease = db.prepare<[string, number, string, string, number, string | null]>(
    `UPDATE relay_sinks SET lease_owner = ?, lease_expires_at = ?
     WHERE sink = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires_at < ? OR lease_owner = ?)`,
  );
  const dropLease = db.prepare<[string, string]>(shared.RELAY_SQL.releaseLease);
  const advance = db.prepare<[number, number, number | null, string, number, string]>(
    shared.RELAY_SQL.advance,
  );
  const putDeadLetter = db.prepare<[string, number, number, string, number, number]>(
    `${shared.DEAD_LETTER_INSERT} VALUES (?, ?, ?, ?, ?, ?, 0) ${shared.DEAD_LETTER_CONFLICT}`,
  );
  const deleteDeadLetter = db.prepare<[string, number]>(
    'DELETE FROM relay_dead_letters WHERE sink = ? AND seq = ?',
  );
  const writeError = db.prepare<[string, number, string]>(shared.RELAY_SQL.recordError);
  const moveCursor = db.prepare<[number, string]>(shared.RELAY_SQL.setCursor);
  const markRedrive = db.prepare<[string]>(shared.RELAY_SQL.markRedrive);
  const bumpEpoch = db.prepare<[string]>(shared.RELAY_SQL.bumpEpoch);
  const disable = db.prepare<[number, string, string]>(shared.RELAY_SQL.disable);
  const enable = db.prepare<[string]>(shared.RELAY_SQL.enable);
  const selectLetters = db.prepare<[string, number, number, number], shared.DeadLetterRow>(
    shared.RELAY_SQL.listDeadLetters,
  );

  const read = (sink: string): RelaySinkState | null => {
    const row = selectSink.get(sink);
    return row ? shared.toSinkState(row) : null;
  };

  const commit = db.transaction((sink: string, claim: RelayClaim, progress: RelayProgress): boolean => {
    const changed = advance.run(
      progress.cursor,
      progress.delivered,
      progress.deliveredAt,
      sink,
      claim.epoch,
      claim.owner,
    ).changes;
    if (changed === 0) return false;
    for (const seq of progress.redriven) deleteDeadLetter.run(sink, seq);
    for (const letter of progress.deadLetters) {
      putDeadLetter.run(
        sink,
        letter.seq,
        letter.attempts,
        letter.error,
        letter.firstFailedAt,
        letter.failedAt,
      );
    }
    return true;
  });

  const redriveAll = db.transaction((sink: string): number => {
    const marked = markRedrive.run(sink).changes;
    bumpEpoch.run(sink);
    return marked;
  });

  return {
    async ensureSink(sink, initialCursor) {
      insertSink.run(sink, initialCursor, now());
      return read(sink)!;
    },
    async getSink(sink) {
      return read(sink);
    },
    async listSinks() {
      return selectSinks.all().map(shared.toSinkState);
    },
    async acquireLease(sink, owner, ttlMs, evict) {
      const at = now();
      const granted = takeLease.run(owner, at + ttlMs, sink, owner, at, evict ?? null).changes > 0;
      return granted ? read(sink) : null;
    },
    async releaseLease(sink, owner) {
      dropLease.run(sink, owner);
    },
    async commitProgress(sink, claim, progress) {
      return commit.immediate(sink, claim, progress);
    },
    async recordError(sink, error, at) {
      writeError.run(shared.clipText(error), at, sink);
    },
    async setCursor(sink, cursor) {
      moveCursor.run(cursor, sink);
      return read(sink);
    },
    async redrive(sink) {
      return redriveAll.immediate(sink);
    },
    async setDisabled(sink, reason, at) {
      if (reason === null) enable.run(sink);
      else disable.run(at, shared.clipText(reason), sink);
      return read(sink);
    },
    async listDeadLetters(sink, query) {
      const rows = selectLetters.all(sink, query.after ?? 0, query.redrive ? 1 : 0, query.limit);
      return rows.map(shared.toDeadLetter);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
