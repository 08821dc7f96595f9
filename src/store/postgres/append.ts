import type { AppendResult, LogEntry } from '../change-log.js';
import type { TakeEntries } from '../committer.js';
import { type BatchPlan, listProfileKeys, planBatch, settlePlan } from './append-plan.js';
import { type AppendTx, appendPlanned, lockAppends, readBatch } from './append-sql.js';
import type { PostgresPool } from './connect.js';
import { withReserved } from './reserve.js';
import { toStorableEntry } from './text.js';

export { PROFILE_COLUMNS } from './append-sql.js';

/** Where an append writes and whom it tells. */
export interface AppendScope {
  /** The schema: the second key of the append lock, so that schemas do not wait on each other. */
  schema: string;
  /** The NOTIFY channel of this log. */
  channel: string;
  /** Prefixes the NOTIFY payload, so that an instance knows its own appends (`<instanceId>:<lastSeq>`). */
  instanceId: string;
}

/**
 * Commits the entries `take` hands over in one transaction: log rows, dedupe, projection, field
 * index, and a NOTIFY to the other instances, delivered at commit. Resolves with one result per
 * entry taken, in the order taken.
 *
 * Several instances append to one database at once, so every write takes a
 * transaction-level advisory lock, held until commit:
 * - No reader skips an event. Seqs are `max(seq) + 1…` read under the lock, so a transaction
 *   holding seq N commits before any transaction can take N + 1; a reader paging "after N" never
 *   sees N + 1 while N is still uncommitted. (A sequence alone would let N + 1 commit first.) It
 *   also leaves no gap on rollback, so `max(seq)` stays the number of events, as on SQLite.
 * - The projection's read-modify-write (profiles merged in JavaScript by `projectEntry`) is not
 *   raced: per-field newest `EventTime` wins, and no instance overwrites another's update.
 * - Dedupe cannot let a key in twice: no other append can log a key between the check and the commit.
 *
 * The lock serialises every instance's writes, so it is held for the server's work only. The batch
 * is read and planned first, without the lock, then written by one statement (`timhook_append`),
 * which takes the lock, checks that nothing the plan read has changed since, and numbers the events
 * from the last seq it finds: the server never waits for this process while it holds the lock, and
 * two instances plan and commit side by side. Only when the check fails (another instance changed
 * one of the batch's groups, or logged one of its keys, in between) is the batch read again, under
 * the lock, planned and written, with what arrived meanwhile: two round trips under the lock.
 */
export async function appendEntries(
  sql: PostgresPool,
  scope: AppendScope,
  take: TakeEntries,
): Promise<AppendResult[]> {
  const entries = take().map(toStorableEntry);
  if (entries.length === 0) return [];
  // A lost connection rejects with PostgresUnavailableError (postgres/reserve.ts); the batch is
  // then not known to be committed, and its callbacks are answered FAIL.
  return withReserved(sql, async (tx) => {
    const plan = planBatch(entries, await readBatch(tx, entries.map(keyOf), listProfileKeys(entries)));
    // Every entry a duplicate: nothing to write, and a logged key stays logged.
    if (plan.writes.events.length === 0) return plan.results;
    const top = await appendPlanned(tx, scope.schema, plan.writes, plan.basis, notifyOf(scope));
    if (top !== null) return settlePlan(plan, top);
    return await appendLocked(tx, scope, [...entries, ...take().map(toStorableEntry)]);
  });
}

/**
 * Appends `entries`, read and planned under the lock: the basis then always holds. A failure
 * leaves the transaction to `withReserved`, which rolls it back if its connection still stands.
 */
async function appendLocked(tx: AppendTx, scope: AppendScope, entries: LogEntry[]): Promise<AppendResult[]> {
  // BEGIN (READ COMMITTED: the read after the lock sees every earlier append), the lock, the
  // read: pipelined, the server runs them in order, the read once the lock is held.
  const begun = quiet(tx`BEGIN ISOLATION LEVEL READ COMMITTED`.execute());
  const locked = quiet(lockAppends(tx, scope.schema));
  const plan: BatchPlan = planBatch(
    entries,
    await readBatch(tx, entries.map(keyOf), listProfileKeys(entries)),
  );
  const written =
    plan.writes.events.length === 0
      ? Promise.resolve(0)
      : appendPlanned(tx, scope.schema, plan.writes, plan.basis, notifyOf(scope));
  // A statement that failed rejects this; COMMIT, sent right after it, then answers ROLLBACK.
  const [, , top, commit] = await Promise.all([begun, locked, written, tx`COMMIT`.execute()]);
  if (commit.command !== 'COMMIT') throw new Error(`the append's COMMIT answered ${commit.command}`);
  if (top === null) throw new Error('an append planned under the lock found its basis changed');
  return settlePlan(plan, top);
}

/** `promise`, marked handled: awaited later, it must not count as unhandled should a step between fail. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

function notifyOf(scope: AppendScope): { channel: string; instanceId: string } {
  return { channel: scope.channel, instanceId: scope.instanceId };
}

function keyOf(entry: LogEntry): string {
  return entry.dedupeKey;
}
