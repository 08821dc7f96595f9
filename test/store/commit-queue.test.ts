import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AppendResult,
  type ChangeLog,
  type CommitQueue,
  createCommitQueue,
  type LogEntry,
  openSqliteChangeLog,
  QueueOverloadedError,
} from '../../src/store/index.js';
import { G1, groupChanged } from './entries.js';

/** A real SQLite log that counts its `append` calls and can hold the next ones on a gate. */
interface WatchedLog {
  log: ChangeLog;
  /** The entries of every `append` call, in call order. */
  calls: LogEntry[][];
  /** Makes every later `append` wait until `open` is called. */
  hold(): { open: () => void };
  /** Opens a gate left held (cleanup after a failed test). */
  release(): void;
  /** Makes the next `append` throw `error` instead of writing. */
  failNext(error: Error): void;
  /** Resolves when `append` has been called `count` times. */
  appendCalled(count: number): Promise<void>;
}

function watchLog(inner: ChangeLog): WatchedLog {
  const calls: LogEntry[][] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let gate: Promise<void> | null = null;
  let openGate = () => {};
  let failure: Error | null = null;
  const log: ChangeLog = {
    async append(entries) {
      calls.push([...entries]);
      for (const waiter of waiters.filter((w) => calls.length >= w.count)) waiter.resolve();
      if (gate) await gate;
      if (failure) {
        const error = failure;
        failure = null;
        throw error;
      }
      return inner.append(entries);
    },
    listEvents: (query) => inner.listEvents(query),
    getProfile: (kind, id) => inner.getProfile(kind, id),
    listRendered: (query) => inner.listRendered(query),
    watch: (listener) => inner.watch(listener),
    listProfiles: (query) => inner.listProfiles(query),
    stats: () => inner.stats(),
    countByTime: (query) => inner.countByTime(query),
    close: () => inner.close(),
  };
  return {
    log,
    calls,
    hold() {
      let open!: () => void;
      gate = new Promise<void>((resolve) => {
        open = () => {
          gate = null;
          resolve();
        };
      });
      openGate = open;
      return { open };
    },
    release: () => openGate(),
    failNext(error) {
      failure = error;
    },
    appendCalled(count) {
      if (calls.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
  };
}

/** `count` distinct change entries of one group. */
async function entries(count: number, prefix = 'name'): Promise<LogEntry[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => groupChanged(G1, { Name: `${prefix}-${i}` })));
}

/** Settles `promise` into a plain outcome, so a test can look at a refusal without an unhandled rejection. */
function settle(promise: Promise<AppendResult>): Promise<{ ok: AppendResult } | { error: unknown }> {
  return promise.then(
    (ok) => ({ ok }),
    (error: unknown) => ({ error }),
  );
}

let watched: WatchedLog;
let queue: CommitQueue;

beforeEach(() => {
  watched = watchLog(openSqliteChangeLog({ path: ':memory:' }));
});

afterEach(async () => {
  watched.release();
  await queue?.drain();
  await watched.log.close();
});

describe('the commit queue', () => {
  it('commits every entry submitted in one tick with one append call', async () => {
    const sizes: number[] = [];
    queue = createCommitQueue(watched.log, { onCommit: (size) => sizes.push(size) });
    const batch = await entries(50);
    const results = await Promise.all(batch.map((entry) => queue.submit(entry)));
    expect(watched.calls).toHaveLength(1);
    expect(watched.calls[0]).toEqual(batch);
    expect(sizes).toEqual([50]);
    expect(results.map((result) => result.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect((await watched.log.stats()).events).toBe(50);
  });

  it('joins what arrives while a commit runs into the next commit', async () => {
    queue = createCommitQueue(watched.log);
    const gate = watched.hold();
    const [first, ...later] = await entries(4);
    const firstDone = queue.submit(first!);
    await watched.appendCalled(1);
    const laterDone = later.map((entry) => queue.submit(entry));
    expect(queue.depth()).toBe(3);
    gate.open();
    await Promise.all([firstDone, ...laterDone]);
    expect(watched.calls.map((call) => call.length)).toEqual([1, 3]);
  });

  it('splits a long queue into batches of at most maxBatch', async () => {
    queue = createCommitQueue(watched.log, { maxBatch: 10 });
    const batch = await entries(25);
    const results = await Promise.all(batch.map((entry) => queue.submit(entry)));
    expect(watched.calls.map((call) => call.length)).toEqual([10, 10, 5]);
    expect(watched.calls.flat()).toEqual(batch);
    expect(results.map((result) => result.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('refuses at once, with QueueOverloadedError, an entry that finds maxQueue entries waiting', async () => {
    queue = createCommitQueue(watched.log, { maxQueue: 3 });
    const gate = watched.hold();
    const [inFlight, a, b, c, refused] = await entries(5);
    const inFlightDone = queue.submit(inFlight!);
    await watched.appendCalled(1);
    const waiting = [a, b, c].map((entry) => queue.submit(entry!));
    // The refusal settles while the commit ahead of it is still held.
    const outcome = await settle(queue.submit(refused!));
    expect(outcome).toEqual({ error: expect.any(QueueOverloadedError) });
    expect((outcome as { error: Error }).error.message).toBe('the commit queue is full (3 waiting)');
    gate.open();
    await Promise.all([inFlightDone, ...waiting]);
    const names = (await watched.log.listEvents({ limit: 10 })).events.map((event) => event.changes.Name);
    expect(names).toEqual(['name-0', 'name-1', 'name-2', 'name-3']);
  });

  it('refuses, and does not commit, entries that waited longer than maxWaitMs for their commit', async () => {
    let now = 1_000;
    queue = createCommitQueue(watched.log, { maxWaitMs: 500, now: () => now });
    const gate = watched.hold();
    const [inFlight, stale1, stale2] = await entries(3);
    const inFlightDone = queue.submit(inFlight!);
    await watched.appendCalled(1);
    const staleDone = [stale1, stale2].map((entry) => settle(queue.submit(entry!)));
    now += 501;
    gate.open();
    await inFlightDone;
    for (const outcome of await Promise.all(staleDone)) {
      expect(outcome).toEqual({ error: expect.any(QueueOverloadedError) });
    }
    expect(watched.calls).toHaveLength(1);
    expect((await watched.log.stats()).events).toBe(1);
  });

  it('commits an entry that waited exactly maxWaitMs', async () => {
    let now = 1_000;
    queue = createCommitQueue(watched.log, { maxWaitMs: 500, now: () => now });
    const gate = watched.hold();
    const [inFlight, patient] = await entries(2);
    const inFlightDone = queue.submit(inFlight!);
    await watched.appendCalled(1);
    const patientDone = queue.submit(patient!);
    now += 500;
    gate.open();
    await expect(Promise.all([inFlightDone, patientDone])).resolves.toHaveLength(2);
    expect((await watched.log.stats()).events).toBe(2);
  });

  it('refuses a waiting entry after maxWaitMs even while the commit ahead of it never returns', async () => {
    // A stalled disk must not leave callbacks hanging past the IM backend's 2 s timeout.
    queue = createCommitQueue(watched.log, { maxWaitMs: 50 });
    const gate = watched.hold();
    const [inFlight, waiting] = await entries(2);
    const inFlightDone = queue.submit(inFlight!);
    await watched.appendCalled(1);
    const outcome = await settle(queue.submit(waiting!));
    expect(outcome).toEqual({ error: expect.any(QueueOverloadedError) });
    expect(queue.depth()).toBe(0);
    gate.open();
    await inFlightDone;
    expect(watched.calls).toHaveLength(1);
    expect((await watched.log.stats()).events).toBe(1);
  });

  it('refuses the entries of a commit that has not returned after maxAnswerMs, and keeps what it commits', async () => {
    // Another instance frozen holding PostgreSQL's append lock stalls this commit: its
    // callbacks get a FAIL in time; the commit lands later, and the IM backend's retry is a duplicate.
    const committed: number[] = [];
    queue = createCommitQueue(watched.log, {
      maxAnswerMs: 50,
      onCommitted: (results) => committed.push(...results.map((r) => r.seq)),
    });
    const gate = watched.hold();
    const [stalled, retried] = await entries(2);
    const outcome = await settle(queue.submit(stalled!));
    expect(outcome).toEqual({ error: expect.any(QueueOverloadedError) });
    gate.open();
    await queue.drain();
    expect(committed).toEqual([1]);
    expect(await queue.submit({ ...retried!, dedupeKey: stalled!.dedupeKey })).toMatchObject({
      seq: 1,
      duplicate: true,
    });
  });

  it('rejects the whole batch of an append that throws, then keeps committing', async () => {
    queue = createCommitQueue(watched.log);
    const failure = new Error('disk I/O error');
    watched.failNext(failure);
    const [a, b, c] = await entries(3);
    const failed = await Promise.all([a, b].map((entry) => settle(queue.submit(entry!))));
    expect(failed).toEqual([{ error: failure }, { error: failure }]);
    const result = await queue.submit(c!);
    expect(result).toMatchObject({ seq: 1, duplicate: false });
    expect((await watched.log.stats()).events).toBe(1);
  });

  it('answers a duplicate submitted in the same tick with the seq of the first', async () => {
    queue = createCommitQueue(watched.log);
    const [entry] = await entries(1);
    const [first, second] = await Promise.all([queue.submit(entry!), queue.submit(entry!)]);
    expect(first).toMatchObject({ seq: 1, duplicate: false });
    expect(second).toStrictEqual({ seq: 1, duplicate: true });
  });

  it('drains: resolves once everything submitted so far is committed', async () => {
    queue = createCommitQueue(watched.log, { maxBatch: 4 });
    const gate = watched.hold();
    const submitted = (await entries(10)).map((entry) => queue.submit(entry));
    let drained = false;
    const draining = queue.drain().then(() => {
      drained = true;
    });
    await watched.appendCalled(1);
    expect(drained).toBe(false);
    gate.open();
    await draining;
    expect(queue.depth()).toBe(0);
    expect((await watched.log.stats()).events).toBe(10);
    await Promise.all(submitted);
  });

  it('drains at once when nothing was submitted', async () => {
    queue = createCommitQueue(watched.log);
    await expect(queue.drain()).resolves.toBeUndefined();
    expect(watched.calls).toHaveLength(0);
  });
});
