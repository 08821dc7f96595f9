import type { DeadLetter, RelaySinkState } from './relay-state.js';

/**
 * The relay state's rows and the SQL every store runs as it is (`relay-state.ts` is the port).
 * The text is written once for both dialects: placeholders are `?`, in the order of their
 * parameters (PostgreSQL numbers them), and a flag is read as a truth value (`d.redrive`,
 * `NOT redrive`, `true`/`false`), which SQLite's 0/1 column and PostgreSQL's boolean one both
 * accept. What differs stays with each store: the clock of leases and of a sink's creation, and how
 * a window's dead letters are written.
 */

/** A `relay_sinks` row with its dead-letter counts, as `SINK_SELECT` reads it. */
export interface SinkRow {
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

/** A `relay_dead_letters` row: `redrive` is 0/1 in SQLite, a boolean in PostgreSQL. */
export interface DeadLetterRow {
  seq: number;
  attempts: number;
  error: string;
  first_failed_at: number;
  failed_at: number;
  redrive: number | boolean;
}

/** Sinks with their dead-letter counts; a store appends `WHERE s.sink = ?` or an `ORDER BY`. */
export const SINK_SELECT = `SELECT s.*,
  (SELECT count(*) FROM relay_dead_letters d WHERE d.sink = s.sink) AS dead_letters,
  (SELECT count(*) FROM relay_dead_letters d WHERE d.sink = s.sink AND d.redrive) AS redrive_pending
  FROM relay_sinks s`;

/** The columns a dead letter is inserted with; `DEAD_LETTER_CONFLICT` follows the values. */
export const DEAD_LETTER_INSERT =
  'INSERT INTO relay_dead_letters (sink, seq, attempts, error, first_failed_at, failed_at, redrive)';

/**
 * A letter already in the list (a re-driven one that failed again) keeps its first failure, adds
 * its attempts, and is no longer marked to re-drive (`RelayProgress.deadLetters`).
 */
export const DEAD_LETTER_CONFLICT = `ON CONFLICT (sink, seq) DO UPDATE SET
  attempts = relay_dead_letters.attempts + excluded.attempts,
  error = excluded.error, failed_at = excluded.failed_at, redrive = false`;

/** The statements both stores run word for word, each with its parameters in order. */
export const RELAY_SQL = {
  /** sink, owner */
  releaseLease:
    'UPDATE relay_sinks SET lease_owner = NULL, lease_expires_at = NULL WHERE sink = ? AND lease_owner = ?',
  /**
   * cursor, delivered, deliveredAt, sink, epoch, owner: the delivering loop's compare-and-set, one
   * conditional UPDATE that changes no row when an operator action or another instance intervened.
   */
  advance: `UPDATE relay_sinks SET cursor = ?, delivered = delivered + ?,
    last_delivered_at = coalesce(CAST(? AS bigint), last_delivered_at)
    WHERE sink = ? AND epoch = ? AND lease_owner = ?`,
  /** error, at, sink */
  recordError: 'UPDATE relay_sinks SET last_error = ?, last_error_at = ? WHERE sink = ?',
  /** cursor, sink */
  setCursor: 'UPDATE relay_sinks SET cursor = ?, epoch = epoch + 1 WHERE sink = ?',
  /** sink */
  markRedrive: 'UPDATE relay_dead_letters SET redrive = true WHERE sink = ? AND NOT redrive',
  /** sink */
  bumpEpoch: 'UPDATE relay_sinks SET epoch = epoch + 1 WHERE sink = ?',
  /** at, reason, sink */
  disable: 'UPDATE relay_sinks SET disabled_at = ?, disabled_reason = ?, epoch = epoch + 1 WHERE sink = ?',
  /** sink */
  enable: `UPDATE relay_sinks SET disabled_at = NULL, disabled_reason = NULL, epoch = epoch + 1
    WHERE sink = ? AND disabled_at IS NOT NULL`,
  /**
   * sink, after, only re-driven, limit. `redrive >= ?` keeps every letter with false (0), only
   * those marked to re-drive with true (1).
   */
  listDeadLetters: `SELECT seq, attempts, error, first_failed_at, failed_at, redrive FROM relay_dead_letters
    WHERE sink = ? AND seq > ? AND redrive >= ? ORDER BY seq LIMIT ?`,
} as const;

/** Error and reason texts are kept to this many characters. */
const MAX_TEXT = 2000;

/** `text` cut to what the state keeps of an error or a reason. */
export function clipText(text: string): string {
  return text.slice(0, MAX_TEXT);
}

/** Reads a `SINK_SELECT` row into the port's shape. */
export function toSinkState(row: SinkRow): RelaySinkState {
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

/** Reads a `relay_dead_letters` row into the port's shape. */
export function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    seq: row.seq,
    attempts: row.attempts,
    error: row.error,
    firstFailedAt: row.first_failed_at,
    failedAt: row.failed_at,
    redrive: row.redrive === true || row.redrive === 1,
  };
}
