import { connectPostgres, type PostgresConnectOptions } from './connect.js';
import { migratePostgres } from './migrations.js';
import { inTransaction } from './reserve.js';
import type { DeadLetter, RelaySinkState, RelayState } from '../relay-state.js';

/** Settings of the PostgreSQL relay state: the change log's database and schema. */
export interface PostgresRelayStateOptions extends PostgresConnectOptions {
  /**
   * The clock of leases and of a sink's creation, ms. Default: the database's clock, so that every
   * instance judges a lease by the same clock whatever its own says.
   */
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
  redrive: boolean;
}

const SINK_SELECT = `SELECT s.*,
  (SELECT count(*) FROM relay_dead_letters d WHERE d.sink = s.sink) AS dead_letters,
  (SELECT count(*) FROM relay_dead_letters d WHERE d.sink = s.sink AND d.redrive) AS redrive_pending
  FROM relay_sinks s`;

/**
 * Opens the relay state in the change log's PostgreSQL schema (migrating it when this is the first
 * open), with the same contract as the SQLite one (`relay-state.ts`): the delivering loop's writes
 * are compare-and-set on `epoch` and the lease owner, in one conditional UPDATE, so an operator
 * action or another instance's takeover is never overwritten.
 */
export async function openPostgresRelayState(options: PostgresRelayStateOptions): Promise<RelayState> {
  const { now, max = 2 } = options;
  const sql = connectPostgres({ ...options, max });
  try {
    await migratePostgres(sql, options.schema ?? 'public');
  } catch (error) {
    await sql.end({ timeout: 0 });
    throw error;
  }
  /** Now, ms: the injected clock, or the database's own. */
  const clock = () =>
    now ? sql`${now()}::bigint` : sql`(extract(epoch FROM clock_timestamp()) * 1000)::bigint`;

  const read = async (sink: string): Promise<RelaySinkState | null> => {
    const [row] = await sql<SinkRow[]>`${sql.unsafe(SINK_SELECT)} WHERE s.sink = ${sink}`;
    return row ? toState(row) : null;
  };

  let closing: Promise<void> | null = null;
  return {
    async ensureSink(sink, initialCursor) {
      await sql`INSERT INTO relay_sinks (sink, cursor, created_at) VALUES (${sink}, ${initialCursor}, ${clock()})
        ON CONFLICT (sink) DO NOTHING`;
      return (await read(sink))!;
    },
    getSink: read,
    async listSinks() {
      const rows = await sql<SinkRow[]>`${sql.unsafe(SINK_SELECT)} ORDER BY s.sink`;
      return rows.map(toState);
    },
    async acquireLease(sink, owner, ttlMs, evict) {
      const granted = await sql`
        WITH at AS (SELECT ${clock()} AS now)
        UPDATE relay_sinks SET lease_owner = ${owner}, lease_expires_at = at.now + ${ttlMs}::bigint FROM at
        WHERE sink = ${sink} AND (lease_owner IS NULL OR lease_owner = ${owner}
          OR lease_expires_at < at.now OR lease_owner = ${evict ?? null}::text)`;
      return granted.count > 0 ? read(sink) : null;
    },
    async releaseLease(sink, owner) {
      await sql`UPDATE relay_sinks SET lease_owner = NULL, lease_expires_at = NULL
        WHERE sink = ${sink} AND lease_owner = ${owner}`;
    },
    async commitProgress(sink, claim, progress) {
      return inTransaction(sql, async (tx) => {
        const advanced = await tx`
          UPDATE relay_sinks SET cursor = ${progress.cursor}, delivered = delivered + ${progress.delivered},
            last_delivered_at = coalesce(${progress.deliveredAt}::bigint, last_delivered_at)
          WHERE sink = ${sink} AND epoch = ${claim.epoch} AND lease_owner = ${claim.owner}`;
        if (advanced.count === 0) return false;
        const letters = progress.deadLetters;
        const pick = <T>(read: (letter: DeadLetter) => T): T[] => letters.map(read);
        await Promise.all([
          progress.redriven.length > 0 &&
            tx`DELETE FROM relay_dead_letters WHERE sink = ${sink} AND seq = ANY(${[...progress.redriven]}::bigint[])`,
          letters.length > 0 &&
            tx`INSERT INTO relay_dead_letters (sink, seq, attempts, error, first_failed_at, failed_at, redrive)
              SELECT ${sink}, * , false FROM unnest(${pick((l) => l.seq)}::bigint[],
                ${pick((l) => l.attempts)}::bigint[], ${pick((l) => l.error)}::text[],
                ${pick((l) => l.firstFailedAt)}::bigint[], ${pick((l) => l.failedAt)}::bigint[])
              ON CONFLICT (sink, seq) DO UPDATE SET attempts = relay_dead_letters.attempts + excluded.attempts,
                error = excluded.error, failed_at = excluded.failed_at, redrive = false`,
        ]);
        return true;
      });
    },
    async recordError(sink, error, at) {
      await sql`UPDATE relay_sinks SET last_error = ${error.slice(0, 2000)}, last_error_at = ${at}
        WHERE sink = ${sink}`;
    },
    async setCursor(sink, cursor) {
      await sql`UPDATE relay_sinks SET cursor = ${cursor}, epoch = epoch + 1 WHERE sink = ${sink}`;
      return read(sink);
    },
    async redrive(sink) {
      return inTransaction(sql, async (tx) => {
        const [marked] = await Promise.all([
          tx`UPDATE relay_dead_letters SET redrive = true WHERE sink = ${sink} AND NOT redrive`,
          tx`UPDATE relay_sinks SET epoch = epoch + 1 WHERE sink = ${sink}`,
        ]);
        return marked.count;
      });
    },
    async setDisabled(sink, reason, at) {
      if (reason === null) {
        await sql`UPDATE relay_sinks SET disabled_at = NULL, disabled_reason = NULL, epoch = epoch + 1
          WHERE sink = ${sink} AND disabled_at IS NOT NULL`;
      } else {
        await sql`UPDATE relay_sinks SET disabled_at = ${at}, disabled_reason = ${reason.slice(0, 2000)},
          epoch = epoch + 1 WHERE sink = ${sink}`;
      }
      return read(sink);
    },
    async listDeadLetters(sink, query) {
      const rows = await sql<DeadLetterRow[]>`
        SELECT seq, attempts, error, first_failed_at, failed_at, redrive FROM relay_dead_letters
        WHERE sink = ${sink} AND seq > ${query.after ?? 0} ${query.redrive ? sql`AND redrive` : sql``}
        ORDER BY seq LIMIT ${query.limit}`;
      return rows.map((row) => ({
        seq: row.seq,
        attempts: row.attempts,
        error: row.error,
        firstFailedAt: row.first_failed_at,
        failedAt: row.failed_at,
        redrive: row.redrive,
      }));
    },
    close() {
      closing ??= sql.end({ timeout: 5 });
      return closing;
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
