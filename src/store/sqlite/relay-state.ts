import type { RelayClaim, RelayProgress, RelaySinkState, RelayState } from '../relay-state.js';
import { openSideConnection } from './side-connection.js';

/** Settings of the SQLite relay state. */
export interface SqliteRelayStateOptions {
  /** The change log's database file (the relay state lives beside the log); `:memory:` for tests. */
  path: string;
  now?: () => number;
}

interface SinkRow {
  sink: string;
  cursor: number;
  epoch: number;
  disabled_at: number | null;
  disabled_reason: string | null;
  last_error: string | null;
  last_error_at: number | null;
  last_delivered_at: number | null;
  delivered: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  dead_letters: number;
  redrive_pending: number;
}

interface DeadLetterRow {
  seq: number;
  attempts: number;
  error: string;
  first_failed_at: number;
  failed_at: number;
  redrive: number;
}

const SINK_SELECT = `SELECT s.*,
  (SELECT count(*) FROM relay_dead_letters d WHERE d.sink = s.sink) AS dead_letters,
  (SELECT count(*) FROM relay_dead_letters d WHERE d.sink = s.sink AND d.redrive = 1) AS redrive_pending
  FROM relay_sinks s`;

/**
 * Opens the relay state in the change log's SQLite file, on a connection of its own (WAL lets it
 * write beside the log's). Cursor writes use synchronous=NORMAL: a cursor lost to a power cut only
 * means events delivered again, with the same ids (at least once).
 */
export function openSqliteRelayState(options: SqliteRelayStateOptions): RelayState {
  const { path, now = Date.now } = options;
  const db = openSideConnection(path);

  const selectSink = db.prepare<[string], SinkRow>(`${SINK_SELECT} WHERE s.sink = ?`);
  const selectSinks = db.prepare<[], SinkRow>(`${SINK_SELECT} ORDER BY s.sink`);
  const insertSink = db.prepare<[string, number, number]>(
    'INSERT OR IGNORE INTO relay_sinks (sink, cursor, created_at) VALUES (?, ?, ?)',
  );
  const takeLease = db.prepare<[string, number, string, string, number, string | null]>(
    `UPDATE relay_sinks SET lease_owner = ?, lease_expires_at = ?
     WHERE sink = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires_at < ? OR lease_owner = ?)`,
  );
  const dropLease = db.prepare<[string, string]>(
    'UPDATE relay_sinks SET lease_owner = NULL, lease_expires_at = NULL WHERE sink = ? AND lease_owner = ?',
  );
  const advance = db.prepare<[number, number, number | null, string, number, string]>(
    `UPDATE relay_sinks SET cursor = ?, delivered = delivered + ?, last_delivered_at = coalesce(?, last_delivered_at)
     WHERE sink = ? AND epoch = ? AND lease_owner = ?`,
  );
  const putDeadLetter = db.prepare<[string, number, number, string, number, number]>(
    `INSERT INTO relay_dead_letters (sink, seq, attempts, error, first_failed_at, failed_at, redrive)
     VALUES (?, ?, ?, ?, ?, ?, 0)
     ON CONFLICT (sink, seq) DO UPDATE SET attempts = relay_dead_letters.attempts + excluded.attempts,
       error = excluded.error, failed_at = excluded.failed_at, redrive = 0`,
  );
  const deleteDeadLetter = db.prepare<[string, number]>(
    'DELETE FROM relay_dead_letters WHERE sink = ? AND seq = ?',
  );
  const writeError = db.prepare<[string, number, string]>(
    'UPDATE relay_sinks SET last_error = ?, last_error_at = ? WHERE sink = ?',
  );
  const moveCursor = db.prepare<[number, string]>(
    'UPDATE relay_sinks SET cursor = ?, epoch = epoch + 1 WHERE sink = ?',
  );
  const markRedrive = db.prepare<[string]>(
    'UPDATE relay_dead_letters SET redrive = 1 WHERE sink = ? AND redrive = 0',
  );
  const bumpEpoch = db.prepare<[string]>('UPDATE relay_sinks SET epoch = epoch + 1 WHERE sink = ?');
  const disable = db.prepare<[number, string, string]>(
    'UPDATE relay_sinks SET disabled_at = ?, disabled_reason = ?, epoch = epoch + 1 WHERE sink = ?',
  );
  const enable = db.prepare<[string]>(
    `UPDATE relay_sinks SET disabled_at = NULL, disabled_reason = NULL, epoch = epoch + 1
     WHERE sink = ? AND disabled_at IS NOT NULL`,
  );
  const selectLetters = db.prepare<[string, number, number, number], DeadLetterRow>(
    `SELECT seq, attempts, error, first_failed_at, failed_at, redrive FROM relay_dead_letters
     WHERE sink = ? AND seq > ? AND redrive >= ? ORDER BY seq LIMIT ?`,
  );

  const read = (sink: string): RelaySinkState | null => {
    const row = selectSink.get(sink);
    return row ? toState(row) : null;
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
      return selectSinks.all().map(toState);
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
      writeError.run(error.slice(0, 2000), at, sink);
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
      else disable.run(at, reason.slice(0, 2000), sink);
      return read(sink);
    },
    async listDeadLetters(sink, query) {
      return selectLetters.all(sink, query.after ?? 0, query.redrive ? 1 : 0, query.limit).map((row) => ({
        seq: row.seq,
        attempts: row.attempts,
        error: row.error,
        firstFailedAt: row.first_failed_at,
        failedAt: row.failed_at,
        redrive: row.redrive === 1,
      }));
    },
    async close() {
      if (db.open) db.close();
    },
  };
}

function toState(row: SinkRow): RelaySinkState {
  return {
    sink: row.sink,
    cursor: row.cursor,
    epoch: row.epoch,
    disabledAt: row.disabled_at,
    disabledReason: row.disabled_reason,
    lastError: row.last_error,
    lastErrorAt: row.last_error_at,
    lastDeliveredAt: row.last_delivered_at,
    delivered: row.delivered,
    deadLetters: row.dead_letters,
    redrivePending: row.redrive_pending,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
  };
}
