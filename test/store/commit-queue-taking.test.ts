import { afterEach, describe, expect, it } from 'vitest';
import {
  type AppendResult,
  type ChangeLog,
  type CommitQueue,
  createCommitQueue,
  type LogEntry,
  openSqliteChangeLog,
  QueueOverloadedError,
  type TakeEntries,
} from '../../src/store/index.js';
import { G1, groupChanged } from './entries.js';

/** One `appendTaking` call: the test makes it take, then commit. */
interface Call {
  take: TakeEntries;
  /** The entries of each `take` so far. */
  taken: LogEntry[][];
  /** Commits everything taken in the real log and answers with its results (or with `results`). */
  commit: (results?: AppendResult[]) => Promise<void>;
}

/** A real in-memory log whose `appendTaking` takes once at once, then as the test says. */
function takingLog(): { log: ChangeLog; calls: Call[]; called: (count: number) => Promise<void> } {
  const inner = openSqliteChangeLog({ path: ':memory:' });
  const calls: Call[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const log: ChangeLog = {
    ...inner,
    append: (entries) => inner.append(entries),
    appendTaking(take) {
      return new Promise<AppendResult[]>((resolve, reject) => {
        const call: Call = {
          take,
          taken: [[...take()]],
          commit: async (results) => {
            try {
              resolve(results ?? (await inner.append(call.taken.flat())));
            } catch (error) {
              reject(error);
            }
          },
        };
        calls.push(call);
        for (const waiter of waiters.filter((w) => calls.length >= w.count)) waiter.resolve();
      });
    },
  };
  const called = (count: number) =>
    calls.length >= count
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ count, resolve }));
  return { log, calls, called };
}

/** Takes once more for `call`, as a store does once its lock is granted. */
function takeAgain(call: Call): LogEntry[] {
  const more = [...call.take()];
  call.taken.push(more);
  return more;
}

function settle(promise: Promise<AppendResult>): Promise<{ ok: AppendResult } | { error: unknown }> {
  return promise.then(
    (ok) => ({ ok }),
    (error: unknown) => ({ error }),
  );
}

async function entries(count: number, prefix: string): Promise<LogEntry[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => groupChanged(G1, { Name: `${prefix}-${i}` })));
}

const logs: ChangeLog[] = [];
let queue: CommitQueue | undefined;
afterEach(async () => {
  await queue?.drain();
  queue = undefined;
  for (const log of logs.splice(0)) await log.close();
});

describe('the commit queue over a store that takes its entries (PostgreSQL)', () => {
  it('lets the store take what arrived after its commit began into that commit, and answers each entry', async () => {
    const { log, calls, called } = takingLog();
    logs.push(log);
    const sizes: number[] = [];
    queue = createCommitQueue(log, { onCommit: (size) => sizes.push(size) });
    const [a, b, c] = await entries(3, 't');
    const first = queue.submit(a!);
    await called(1);
    const later = [queue.submit(b!), queue.submit(c!)];
    expect(queue.depth()).toBe(2);
    expect(takeAgain(calls[0]!).map((e) => e.changes.Name)).toEqual(['t-1', 't-2']);
    expect(queue.depth()).toBe(0);
    await calls[0]!.commit();
    expect((await Promise.all([first, ...later])).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(sizes).toEqual([3]);
    expect(calls).toHaveLength(1);
  });

  it('commits what the store left in the queue with its next call', async () => {
    const { log, calls, called } = takingLog();
    logs.push(log);
    queue = createCommitQueue(log);
    const [a, b] = await entries(2, 'n');
    const first = queue.submit(a!);
    await called(1);
    const second = queue.submit(b!);
    await calls[0]!.commit();
    await called(2);
    expect(calls[1]!.taken).toEqual([[b]]);
    await calls[1]!.commit();
    expect([(await first).seq, (await second).seq]).toEqual([1, 2]);
  });

  it('refuses, and does not hand over, entries that waited past maxWaitMs when the store takes them', async () => {
    let now = 1_000;
    const { log, calls, called } = takingLog();
    logs.push(log);
    queue = createCommitQueue(log, { maxWaitMs: 500, now: () => now });
    const [a, stale, fresh] = await entries(3, 'w');
    const first = queue.submit(a!);
    await called(1);
    const staleDone = settle(queue.submit(stale!));
    now += 400;
    const freshDone = queue.submit(fresh!);
    now += 101;
    expect(takeAgain(calls[0]!)).toEqual([fresh]);
    expect(await staleDone).toEqual({ error: expect.any(QueueOverloadedError) });
    await calls[0]!.commit();
    expect([(await first).seq, (await freshDone).seq]).toEqual([1, 2]);
  });

  it('takes no more than maxBatch entries into one commit, however often the store takes', async () => {
    const { log, calls, called } = takingLog();
    logs.push(log);
    queue = createCommitQueue(log, { maxBatch: 3 });
    const [a, ...rest] = await entries(5, 'm');
    const first = queue.submit(a!);
    await called(1);
    const later = rest.map((entry) => queue!.submit(entry));
    expect(takeAgain(calls[0]!)).toHaveLength(2);
    expect(takeAgain(calls[0]!)).toEqual([]);
    await calls[0]!.commit();
    await called(2);
    expect(calls[1]!.taken).toEqual([rest.slice(2)]);
    await calls[1]!.commit();
    expect((await Promise.all([first, ...later])).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses an entry taken late once its commit has not returned after maxAnswerMs', async () => {
    const { log, calls, called } = takingLog();
    logs.push(log);
    queue = createCommitQueue(log, { maxAnswerMs: 50 });
    const [a, late] = await entries(2, 'd');
    const first = settle(queue.submit(a!));
    await called(1);
    const lateDone = settle(queue.submit(late!));
    takeAgain(calls[0]!);
    expect(await first).toEqual({ error: expect.any(QueueOverloadedError) });
    expect(await lateDone).toEqual({ error: expect.any(QueueOverloadedError) });
    await calls[0]!.commit();
  });

  it('rejects every entry taken when the store answers with fewer results than it took', async () => {
    const { log, calls, called } = takingLog();
    logs.push(log);
    queue = createCommitQueue(log);
    const [a, b] = await entries(2, 'x');
    const first = settle(queue.submit(a!));
    await called(1);
    const second = settle(queue.submit(b!));
    takeAgain(calls[0]!);
    await calls[0]!.commit([{ seq: 1, duplicate: true }]);
    for (const outcome of await Promise.all([first, second])) {
      expect(outcome).toEqual({ error: new Error('the store answered 1 results for 2 entries') });
    }
  });

  it('hands a store nothing through a take called after its append returned', async () => {
    const { log, calls, called } = takingLog();
    logs.push(log);
    queue = createCommitQueue(log);
    const [a, b] = await entries(2, 'l');
    const first = queue.submit(a!);
    await called(1);
    await calls[0]!.commit();
    await first;
    const second = queue.submit(b!);
    expect(calls[0]!.take()).toEqual([]);
    await called(2);
    await calls[1]!.commit();
    expect((await second).seq).toBe(2);
  });
});
