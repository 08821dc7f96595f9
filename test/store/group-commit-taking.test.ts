import { afterEach, describe, expect, it } from 'vitest';
import {
  type AppendResult,
  type ChangeLog,
  type LogEntry,
  openSqliteChangeLog,
  QueueOverloadedError,
} from '../../src/store/index.js';
import type { Committer, TakeEntries } from '../../src/store/committer.js';
import { createGroupCommit, type GroupCommit } from '../../src/store/group-commit.js';
import { G1, groupChanged } from './entries.js';

/** One commit: the test makes it take, then commit. */
interface Call {
  take: TakeEntries;
  /** The entries of each `take` so far. */
  taken: LogEntry[][];
  /** Commits everything taken in the real log and answers with its results (or with `results`). */
  commit: (results?: AppendResult[]) => Promise<void>;
}

/**
 * A committer over a real in-memory log that takes its entries itself, as PostgreSQL's does: once
 * at once, then as the test says.
 */
function takingCommitter(): {
  committer: Committer;
  inner: ChangeLog;
  calls: Call[];
  called: (count: number) => Promise<void>;
} {
  const inner = openSqliteChangeLog({ path: ':memory:' });
  const calls: Call[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const committer: Committer = (take) => {
    const results = new Promise<AppendResult[]>((resolve, reject) => {
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
    return { written: results.then(noop, noop), results };
  };
  const called = (count: number) =>
    calls.length >= count
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ count, resolve }));
  return { committer, inner, calls, called };
}

function noop(): void {}

/** Appends one entry through `commits`; resolves with its result. */
async function appendOne(commits: GroupCommit, entry: LogEntry): Promise<AppendResult> {
  const [result] = await commits.append([entry]);
  return result!;
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
let commits: GroupCommit | undefined;
afterEach(async () => {
  await commits?.drain();
  commits = undefined;
  for (const log of logs.splice(0)) await log.close();
});

describe('the group commit of a store that takes its entries (PostgreSQL)', () => {
  it('lets the store take what arrived after its commit began into that commit, and answers each entry', async () => {
    const { committer, inner, calls, called } = takingCommitter();
    logs.push(inner);
    const sizes: number[] = [];
    commits = createGroupCommit(committer);
    commits.onCommit((results) => sizes.push(results.length));
    const [a, b, c] = await entries(3, 't');
    const first = appendOne(commits, a!);
    await called(1);
    const later = [appendOne(commits, b!), appendOne(commits, c!)];
    expect(commits.waiting()).toBe(2);
    expect(takeAgain(calls[0]!).map((e) => e.changes.Name)).toEqual(['t-1', 't-2']);
    expect(commits.waiting()).toBe(0);
    await calls[0]!.commit();
    expect((await Promise.all([first, ...later])).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(sizes).toEqual([3]);
    expect(calls).toHaveLength(1);
  });

  it('commits what the store left in the queue with its next call', async () => {
    const { committer, inner, calls, called } = takingCommitter();
    logs.push(inner);
    commits = createGroupCommit(committer);
    const [a, b] = await entries(2, 'n');
    const first = appendOne(commits, a!);
    await called(1);
    const second = appendOne(commits, b!);
    await calls[0]!.commit();
    await called(2);
    expect(calls[1]!.taken).toEqual([[b]]);
    await calls[1]!.commit();
    expect([(await first).seq, (await second).seq]).toEqual([1, 2]);
  });

  it('refuses, and does not hand over, entries that waited past maxWaitMs when the store takes them', async () => {
    let now = 1_000;
    const { committer, inner, calls, called } = takingCommitter();
    logs.push(inner);
    commits = createGroupCommit(committer, { maxWaitMs: 500, now: () => now });
    const [a, stale, fresh] = await entries(3, 'w');
    const first = appendOne(commits, a!);
    await called(1);
    const staleDone = settle(appendOne(commits, stale!));
    now += 400;
    const freshDone = appendOne(commits, fresh!);
    now += 101;
    expect(takeAgain(calls[0]!)).toEqual([fresh]);
    expect(await staleDone).toEqual({ error: expect.any(QueueOverloadedError) });
    await calls[0]!.commit();
    expect([(await first).seq, (await freshDone).seq]).toEqual([1, 2]);
  });

  it('takes no more than maxBatch entries into one commit, however often the store takes', async () => {
    const { committer, inner, calls, called } = takingCommitter();
    logs.push(inner);
    commits = createGroupCommit(committer, { maxBatch: 3 });
    const [a, ...rest] = await entries(5, 'm');
    const first = appendOne(commits, a!);
    await called(1);
    const later = rest.map((entry) => appendOne(commits!, entry));
    expect(takeAgain(calls[0]!)).toHaveLength(2);
    expect(takeAgain(calls[0]!)).toEqual([]);
    await calls[0]!.commit();
    await called(2);
    expect(calls[1]!.taken).toEqual([rest.slice(2)]);
    await calls[1]!.commit();
    expect((await Promise.all([first, ...later])).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses an entry taken late once its commit has not returned after maxAnswerMs', async () => {
    const { committer, inner, calls, called } = takingCommitter();
    logs.push(inner);
    commits = createGroupCommit(committer, { maxAnswerMs: 50 });
    const [a, late] = await entries(2, 'd');
    const first = settle(appendOne(commits, a!));
    await called(1);
    const lateDone = settle(appendOne(commits, late!));
    takeAgain(calls[0]!);
    expect(await first).toEqual({ error: expect.any(QueueOverloadedError) });
    expect(await lateDone).toEqual({ error: expect.any(QueueOverloadedError) });
    await calls[0]!.commit();
  });

  it('rejects every entry taken when the store answers with fewer results than it took', async () => {
    const { committer, inner, calls, called } = takingCommitter();
    logs.push(inner);
    commits = createGroupCommit(committer);
    const [a, b] = await entries(2, 'x');
    const first = settle(appendOne(commits, a!));
    await called(1);
    const second = settle(appendOne(commits, b!));
    takeAgain(calls[0]!);
    await calls[0]!.commit([{ seq: 1, duplicate: true }]);
    for (const outcome of await Promise.all([first, second])) {
      expect(outcome).toEqual({ error: new Error('the store answered 1 results for 2 entries') });
    }
  });

  it('hands a store nothing through a take called after its append returned', async () => {
    const { committer, inner, calls, called } = takingCommitter();
    logs.push(inner);
    commits = createGroupCommit(committer);
    const [a, b] = await entries(2, 'l');
    const first = appendOne(commits, a!);
    await called(1);
    await calls[0]!.commit();
    await first;
    const second = appendOne(commits, b!);
    expect(calls[0]!.take()).toEqual([]);
    await called(2);
    await calls[1]!.commit();
    expect((await second).seq).toBe(2);
  });
});
