import { connectPostgres, type PostgresConnectOptions, type PostgresPool } from './connect.js';
import { migratePostgres } from './migrations.js';
import { inTransaction, type ReservedSql } from './reserve.js';
import type { DeadLetter, RelaySinkState, RelayState } from '../relay-state.js';
import * as shared from '../relay-state-rows.js';

/** Settings of the PostgreSQL relay state: the change log's database and schema. */
export interface PostgresRelayStateOptions extends PostgresConnectOptions {
  /**
   * The clock of leases and of a sink's creation, ms. Default: the database's clock, so that every
   * instance judges a lease by the same clock whatever its own says.
   */
  now?: () => number;
}

/**
 * Opens the relay state in the change log's PostgreSQL schema (migrating it when this is the first
 * open), with the same contract and the same SQL as the SQLite one (`relay-state-rows.ts`): the
 * delivering loop's writes are compare-and-set on `epoch` and the lease owner, in one conditional
 * UPDATE, so an operator action or another instance's takeover is never overwritten. Its own: the
 * database's clock for leases, and a window's dead letters written in one statement each.
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
    const [row] = await sql<shared.SinkRow[]>`${sql.unsafe(shared.SINK_SELECT)} WHERE s.sink = ${sink}`;
    return row ? shared.toSinkState(row) : null;
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
      const rows = await sql<shared.SinkRow[]>`${sql.unsafe(shared.SINK_SELECT)} ORDER BY s.sink`;
      return rows.map(shared.toSinkState);
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
      await run(sql, 'releaseLease', [sink, owner]);
    },
    async commitProgress(sink, claim, progress) {
      return inTransaction(sql, async (tx) => {
        const { cursor, delivered, deliveredAt } = progress;
        const advanced = await run(tx, 'advance', [
          cursor,
          delivered,
          deliveredAt,
          sink,
          claim.epoch,
          claim.owner,
        ]);
        if (advanced.count === 0) return false;
        const letters = progress.deadLetters;
        const pick = <T>(read: (letter: DeadLetter) => T): T[] => letters.map(read);
        await Promise.all([
          progress.redriven.length > 0 &&
            tx`DELETE FROM relay_dead_letters WHERE sink = ${sink} AND seq = ANY(${[...progress.redriven]}::bigint[])`,
          letters.length > 0 &&
            tx`${tx.unsafe(shared.DEAD_LETTER_INSERT)}
              SELECT ${sink}, * , false FROM unnest(${pick((l) => l.seq)}::bigint[],
                ${pick((l) => l.attempts)}::bigint[], ${pick((l) => l.error)}::text[],
                ${pick((l) => l.firstFailedAt)}::bigint[], ${pick((l) => l.failedAt)}::bigint[])
              ${tx.unsafe(shared.DEAD_LETTER_CONFLICT)}`,
        ]);
        return true;
      });
    },
    async recordError(sink, error, at) {
      await run(sql, 'recordError', [shared.clipText(error), at, sink]);
    },
    async setCursor(sink, cursor) {
      await run(sql, 'setCursor', [cursor, sink]);
      return read(sink);
    },
    async redrive(sink) {
      return inTransaction(sql, async (tx) => {
        const [marked] = await Promise.all([run(tx, 'markRedrive', [sink]), run(tx, 'bumpEpoch', [sink])]);
        return marked.count;
      });
    },
    async setDisabled(sink, reason, at) {
      if (reason === null) await run(sql, 'enable', [sink]);
      else await run(sql, 'disable', [at, shared.clipText(reason), sink]);
      return read(sink);
    },
    async listDeadLetters(sink, query) {
      const after = query.after ?? 0;
      const rows = await run<shared.DeadLetterRow>(sql, 'listDeadLetters', [
        sink,
        after,
        query.redrive === true,
        query.limit,
      ]);
      return rows.map(shared.toDeadLetter);
    },
    close() {
      closing ??= sql.end({ timeout: 5 });
      return closing;
    },
  };
}

/** The shared statements (`RELAY_SQL`) in PostgreSQL's numbered-placeholder style: `$1`, `$2`, … */
const STATEMENTS = Object.fromEntries(
  Object.entries(shared.RELAY_SQL).map(([name, text]) => {
    let count = 0;
    return [name, text.replace(/\?/g, () => `$${++count}`)];
  }),
) as Record<keyof typeof shared.RELAY_SQL, string>;

/** Runs a shared statement, prepared once per connection as a tagged query is. */
function run<T = never>(
  sql: PostgresPool | ReservedSql,
  statement: keyof typeof shared.RELAY_SQL,
  params: Array<string | number | boolean | null>,
) {
  return sql.unsafe<T[]>(STATEMENTS[statement], params, { prepare: true });
}
