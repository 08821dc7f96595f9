import { afterEach, describe, expect, it } from 'vitest';
import {
  type AppendResult,
  type ChangeLog,
  type GroupCommitOptions,
  type LogEntry,
  openSqliteChangeLog,
  QueueOverloadedError,
} from '../../src/store/index.js';
import { G1, groupChanged } from './entries.js';
import { type HeldCommits, holdCommits } from './held-commits.js';

/** `count` distinct change entries of one group. */
async function entries(count: number, prefix = 'name'): Promise<LogEntry[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => groupChanged(G1, { Name: `${prefix}-${i}` })));
}

/** Settles `promise` into a plain outcome, so a test can look at a refusal without an unhandled rejection. */
function settle<T>(promise: Promise<T>): Promise<{ ok: T } | { error: unknown }> {
  return promise.then(
    (ok) => ({ ok }),
    (error: unknown) => ({ error }),
  );
}

/** Appends one entry; resolves with its result. */
async function appendOne(log: ChangeLog, entry: LogEntry): Promise<AppendResult> {
  const [result] = await log.append([entry]);
  return result!;
}

let held: HeldCommits;
let log: ChangeLog;

/** A real SQLite log in memory whose commits the test watches and can hold. */
function openWatched(options: GroupCommitOptions = {}): ChangeLog {
  held = holdCommits();
  log = openSqliteChangeLog({
    path: ':memory:',
    groupCommit: { ...options, wrapCommitter: held.wrapCommitter },
  });
  return log;
}

afterEach(async () => {
  held.open();
  await log.close();
});

describe('the group commit of a change log', () => {
  it('commits every append made in one tick in one commit, and tells onCommit', async () => {
    openWatched();
    const sizes: number[] = [];
    log.onCommit((results) => sizes.push(results.length));
    const batch = await entries(50);
    const results = await Promise.all(batch.map((entry) => appendOne(log, entry)));
    expect(held.calls).toHaveLength(1);
    expect(held.calls[0]).toEqual(batch);
    expect(sizes).toEqual([50]);
    expect(results.map((result) => result.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect((await log.stats()).events).toBe(50);
  });

  it('answers each append with the results of its own entries, in order', async () => {
    openWatched();
    const [a, b, c, d] = await entries(4);
    const [first, second] = await Promise.all([log.append([a!, b!]), log.append([c!, d!])]);
    expect(held.calls).toHaveLength(1);
    expect(first!.map((result) => result.seq)).toEqual([1, 2]);
    expect(second!.map((result) => result.seq)).toEqual([3, 4]);
  });

  it('joins what arrives while a commit runs into the next commit', async () => {
    openWatched();
    held.hold();
    const [first, ...later] = await entries(4);
    const firstDone = appendOne(log, first!);
    await held.commitStarted(1);
    const laterDone = later.map((entry) => appendOne(log, entry));
    expect(log.waiting()).toBe(3);
    held.open();
    await Promise.all([firstDone, ...laterDone]);
    expect(held.calls.map((call) => call.length)).toEqual([1, 3]);
  });

  it('splits a long queue into commits of at most maxBatch entries', async () => {
    openWatched({ maxBatch: 10 });
    const batch = await entries(25);
    const results = await Promise.all(batch.map((entry) => appendOne(log, entry)));
    expect(held.calls.map((call) => call.length)).toEqual([10, 10, 5]);
    expect(held.calls.flat()).toEqual(batch);
    expect(results.map((result) => result.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('never splits one append: one larger than maxBatch is committed alone, whole', async () => {
    openWatched({ maxBatch: 3 });
    const [a, ...big] = await entries(6);
    const [one, whole] = await Promise.all([log.append([a!]), log.append(big)]);
    expect(held.calls.map((call) => call.length)).toEqual([1, 5]);
    expect(one!.map((result) => result.seq)).toEqual([1]);
    expect(whole!.map((result) => result.seq)).toEqual([2, 3, 4, 5, 6]);
  });

  it('refuses at once, with QueueOverloadedError, an append that finds maxQueue entries waiting', async () => {
    openWatched({ maxQueue: 3 });
    held.hold();
    const [inFlight, a, b, c, refused] = await entries(5);
    const inFlightDone = appendOne(log, inFlight!);
    await held.commitStarted(1);
    const waiting = [a, b, c].map((entry) => appendOne(log, entry!));
    // The refusal settles while the commit ahead of it is still held.
    const outcome = await settle(appendOne(log, refused!));
    expect(outcome).toEqual({ error: expect.any(QueueOverloadedError) });
    expect((outcome as { error: Error }).error.message).toBe('the commit queue is full (3 waiting)');
    held.open();
    await Promise.all([inFlightDone, ...waiting]);
    const names = (await log.listEvents({ limit: 10 })).events.map((event) => event.changes.Name);
    expect(names).toEqual(['name-0', 'name-1', 'name-2', 'name-3']);
  });

  it('refuses, and does not commit, appends that waited longer than maxWaitMs for their commit', async () => {
    let now = 1_000;
    openWatched({ maxWaitMs: 500, now: () => now });
    held.hold();
    const [inFlight, stale1, stale2] = await entries(3);
    const inFlightDone = appendOne(log, inFlight!);
    await held.commitStarted(1);
    const staleDone = [stale1, stale2].map((entry) => settle(appendOne(log, entry!)));
    now += 501;
    held.open();
    await inFlightDone;
    for (const outcome of await Promise.all(staleDone)) {
      expect(outcome).toEqual({ error: expect.any(QueueOverloadedError) });
    }
    expect(held.calls).toHaveLength(1);
    expect((await log.stats()).events).toBe(1);
  });

  it('commits an append that waited exactly maxWaitMs', async () => {
    let now = 1_000;
    openWatched({ maxWaitMs: 500, now: () => now });
    held.hold();
    const [inFlight, patient] = await entries(2);
    const inFlightDone = appendOne(log, inFlight!);
    await held.commitStarted(1);
    const patientDone = appendOne(log, patient!);
    now += 500;
    held.open();
    await expect(Promise.all([inFlightDone, patientDone])).resolves.toHaveLength(2);
    expect((await log.stats()).events).toBe(2);
  });

  it('refuses a waiting append after maxWaitMs even while the commit ahead of it never returns', async () => {
    // A stalled disk must not leave callbacks hanging past the IM backend's 2 s timeout.
    openWatched({ maxWaitMs: 50 });
    held.hold();
    const [inFlight, waiting] = await entries(2);
    const inFlightDone = appendOne(log, inFlight!);
    await held.commitStarted(1);
    const outcome = await settle(appendOne(log, waiting!));
    expect(outcome).toEqual({ error: expect.any(QueueOverloadedError) });
    expect(log.waiting()).toBe(0);
    held.open();
    await inFlightDone;
    expect(held.calls).toHaveLength(1);
    expect((await log.stats()).events).toBe(1);
  });

  it('refuses the appends of a commit that has not returned after maxAnswerMs, and keeps what it commits', async () => {
    // Another instance frozen holding PostgreSQL's append lock stalls this commit: its
    // callbacks get a FAIL in time; the commit lands later, and the IM backend's retry is a duplicate.
    openWatched({ maxAnswerMs: 50 });
    const committed: number[] = [];
    log.onCommit((results) => committed.push(...results.map((r) => r.seq)));
    held.hold();
    const [stalled, retried] = await entries(2);
    const outcome = await settle(appendOne(log, stalled!));
    expect(outcome).toEqual({ error: expect.any(QueueOverloadedError) });
    held.open();
    await log.drain();
    expect(committed).toEqual([1]);
    expect(await appendOne(log, { ...retried!, dedupeKey: stalled!.dedupeKey })).toMatchObject({
      seq: 1,
      duplicate: true,
    });
  });

  it('rejects every append of a commit that fails, then keeps committing', async () => {
    openWatched();
    const failure = new Error('disk I/O error');
    held.failNext(failure);
    const [a, b, c] = await entries(3);
    const failed = await Promise.all([a, b].map((entry) => settle(appendOne(log, entry!))));
    expect(failed).toEqual([{ error: failure }, { error: failure }]);
    const result = await appendOne(log, c!);
    expect(result).toMatchObject({ seq: 1, duplicate: false });
    expect((await log.stats()).events).toBe(1);
  });

  it('answers a duplicate appended in the same tick with the seq of the first', async () => {
    openWatched();
    const [entry] = await entries(1);
    const [first, second] = await Promise.all([appendOne(log, entry!), appendOne(log, entry!)]);
    expect(first).toMatchObject({ seq: 1, duplicate: false });
    expect(second).toStrictEqual({ seq: 1, duplicate: true });
  });

  it('tells every onCommit listener, in commit order, before the appends resolve, whatever one of them throws', async () => {
    openWatched();
    const heard: string[] = [];
    log.onCommit(() => {
      throw new Error('a listener that fails');
    });
    const stop = log.onCommit((results, ms) => {
      heard.push(`commit ${results.map((r) => r.seq).join(',')}`);
      expect(ms).toBeGreaterThanOrEqual(0);
    });
    const [a, b] = await entries(2);
    await appendOne(log, a!).then(() => heard.push('answered 1'));
    stop();
    await appendOne(log, b!).then(() => heard.push('answered 2'));
    expect(heard).toEqual(['commit 1', 'answered 1', 'answered 2']);
  });

  it('drains: resolves once everything appended so far is committed', async () => {
    openWatched({ maxBatch: 4 });
    held.hold();
    const appended = (await entries(10)).map((entry) => appendOne(log, entry));
    let drained = false;
    const draining = log.drain().then(() => {
      drained = true;
    });
    await held.commitStarted(1);
    expect(drained).toBe(false);
    held.open();
    await draining;
    expect(log.waiting()).toBe(0);
    expect((await log.stats()).events).toBe(10);
    await Promise.all(appended);
  });

  it('drains at once when nothing was appended', async () => {
    openWatched();
    await expect(log.drain()).resolves.toBeUndefined();
    expect(held.calls).toHaveLength(0);
  });

  it('commits and answers on close what was appended before it, and refuses appends after it', async () => {
    openWatched();
    held.hold();
    const [before, after] = await entries(2);
    const appended = appendOne(log, before!);
    await held.commitStarted(1);
    const closing = log.close();
    await expect(log.append([after!])).rejects.toThrow(/closed/);
    held.open();
    expect((await appended).seq).toBe(1);
    await closing;
  });
});
