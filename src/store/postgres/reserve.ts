import type postgres from 'postgres';
import type { PostgresPool } from './connect.js';

/** A connection reserved from the pool for a sequence of statements. */
export type ReservedSql = postgres.ReservedSql<{ bigint: number }>;

/**
 * Why a PostgreSQL write did not happen: its connection was lost (the server ended the session,
 * restarted, or the network dropped), none could be had in time, or it did not settle in time.
 * Nothing the write did is committed unless another read shows it: the caller answers FAIL, and a
 * retry is found as a duplicate if the commit did land.
 */
export class PostgresUnavailableError extends Error {
  override name = 'PostgresUnavailableError';
  readonly code = 'POSTGRES_UNAVAILABLE';
}

/** Error codes postgres.js and Node's sockets give a statement whose connection went away. */
const LOST_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_STREAM_DESTROYED',
  'ERR_SOCKET_CLOSED',
  // SQLSTATEs of a session the server ends: admin/crash shutdown, cannot connect now, idle timeouts.
  '57P01',
  '57P02',
  '57P03',
  '57P05',
  '25P03',
]);

/**
 * Whether `error` says the statement's connection is gone (or going: a FATAL error response is
 * followed by the server closing it). SQLSTATE class 08 is a connection exception.
 */
export function isConnectionLost(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  if (severity === 'FATAL' || severity === 'PANIC') return true;
  return typeof code === 'string' && (LOST_CODES.has(code) || code.startsWith('08'));
}

/** Bounds of {@link withReserved}, ms. */
export interface ReserveLimits {
  /** Longest wait for a connection. Default 5000. */
  reserveMs?: number;
  /** Longest wait for the work to settle; past it the caller hears a failure. Default 10000. */
  settleMs?: number;
}

/**
 * Runs `work` on a connection reserved from `sql`, and releases it after, unless it was lost.
 *
 * postgres.js (3.4.x) must never be given a statement for a connection it has closed: the write
 * is deferred to a `setImmediate` that reads the closed socket and throws out of the event loop,
 * ending the process; releasing such a connection hands it to the pool as open, and the next
 * statement on it does the same. So once a statement of `work` failed with a lost connection,
 * nothing more is sent on it and it is not released (the pool has already taken it back as
 * closed, and reconnects it when needed). `work` must not send a statement after one of its
 * statements failed; a transaction it opened is rolled back here, when its connection still stands.
 *
 * A lost connection, no connection within `reserveMs`, or `work` still running after `settleMs`
 * reject with {@link PostgresUnavailableError}; in the last case the connection is released (or
 * dropped) once `work` does settle.
 */
export async function withReserved<T>(
  sql: PostgresPool,
  work: (tx: ReservedSql) => Promise<T>,
  limits: ReserveLimits = {},
): Promise<T> {
  const { reserveMs = 5000, settleMs = 10_000 } = limits;
  const tx = await reserveWithin(sql, reserveMs);
  const working = work(tx);
  const settled = working.then(
    () => tx.release(),
    (error: unknown) => settleFailed(tx, error),
  );
  try {
    return await withinMs(working, settleMs, () => `PostgreSQL did not answer within ${settleMs} ms`);
  } catch (error) {
    // The rollback (or the release) comes before the failure is told, unless work is still running.
    if (!isTimeout(error)) await settled;
    throw toUnavailable(error);
  }
}

/**
 * Runs `work` in a transaction (BEGIN … COMMIT) on a reserved connection, as {@link withReserved}
 * does: the transaction is rolled back when `work` fails and its connection stands, and a lost
 * connection rejects with {@link PostgresUnavailableError}, the transaction not committed.
 * (postgres.js `sql.begin` sends its own ROLLBACK after a failure, also on a closed connection.)
 */
export function inTransaction<T>(
  sql: PostgresPool,
  work: (tx: ReservedSql) => Promise<T>,
  limits: ReserveLimits = {},
): Promise<T> {
  return withReserved(
    sql,
    async (tx) => {
      await tx`BEGIN`;
      const result = await work(tx);
      const commit = await tx`COMMIT`;
      if (commit.command !== 'COMMIT') throw new Error(`COMMIT answered ${commit.command}`);
      return result;
    },
    limits,
  );
}

/** After `work` failed: a connection that still stands is rolled back and released, a lost one dropped. */
async function settleFailed(tx: ReservedSql, error: unknown): Promise<void> {
  if (isConnectionLost(error)) return;
  try {
    // Outside a transaction this only warns (a notice, not an error).
    await tx`ROLLBACK`;
  } catch {
    // The connection went away meanwhile: it is the pool's again, as closed.
    return;
  }
  tx.release();
}

/** A connection from `sql` within `ms`; one that arrives later is given back. */
async function reserveWithin(sql: PostgresPool, ms: number): Promise<ReservedSql> {
  const reserving = sql.reserve();
  try {
    return await withinMs(reserving, ms, () => `no PostgreSQL connection within ${ms} ms`);
  } catch (error) {
    reserving.then(
      (late) => late.release(),
      () => {},
    );
    throw new PostgresUnavailableError(
      isTimeout(error) ? error.message : `no PostgreSQL connection: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

class Timeout extends Error {}

function isTimeout(error: unknown): error is Timeout {
  return error instanceof Timeout;
}

/** `promise`, or a {@link Timeout} after `ms`. */
function withinMs<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout(message())), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** A lost connection or a timeout as {@link PostgresUnavailableError}; any other error as it is. */
function toUnavailable(error: unknown): unknown {
  if (error instanceof PostgresUnavailableError) return error;
  if (isTimeout(error)) return new PostgresUnavailableError(error.message);
  if (isConnectionLost(error)) {
    const reason = (error as Error).message;
    return new PostgresUnavailableError(
      `the connection to PostgreSQL was lost (${reason}): the write is not known to be committed`,
      {
        cause: error,
      },
    );
  }
  return error;
}
