import { afterEach, describe, expect, it } from 'vitest';
import {
  type AppendResult,
  type ChangeLog,
  type LogEntry,
  openSqliteChangeLog,
  QueueOverloadedError,
} from '../../src/store/index.js';
import type { Committer } from '../../src/store/committer.js';
import { createGroupCommit, type GroupCommit } from '../../src/store/group-commit.js';
import { G1, groupChanged } from './entries.js';

/** One commit, whose `written` and `results` the test settles by hand. */
interface Started {
  entries: LogEntry[];
  write: () => void;
  /** Commits the entries in the real log and answers with its results. */
  makeDurable: () => Promise<void>;
}

/**
 * A committer over a real in-memory log, as a store that writes before it fsyncs has: it waits for
 * the test to say "written" and "durable".
 */
function pipelinedCommitter(): {
  committer: Committer;
  inner: ChangeLog;
  started: Started[];
  next: (count: number) => Promise<void>;
  failNext: Error[];
} {
  const failNext: Error[] = [];
  const inner = openSqliteChangeLog({ path: ':memory:' });
  const started: Started[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const committer: Committer = (take) => {
    const entries = [...take()];
    let write!: () => void;
    const written = new Promise<void>((resolve) => {
      write = resolve;
    });
    let answer!: (results: AppendResult[]) => void;
    const results = new Promise<AppendResult[]>((resolve) => {
      answer = resolve;
    });
    if (failNext.length > 0) {
      // A commit that failed at once: its results are already rejected when they are handed over.
      return { written: Promise.resolve(), results: Promise.reject(failNext.shift()!) };
    }
    started.push({
      entries,
      write,
      makeDurable: async () => answer(await inner.append(entries)),
    });
    for (const waiter of waiters.filter((w) => started.length >= w.count)) waiter.resolve();
    return { written, results };
  };
  const next = (count: number) =>
    started.length >= count
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ count, resolve }));
  return { committer, inner, started, next, failNext };
}

/** Appends one entry through `commits`; resolves with its result. */
async function appendOne(commits: GroupCommit, entry: LogEntry): Promise<AppendResult> {
  const [result] = await commits.append([entry]);
  return result!;
}

const logs: ChangeLog[] = [];
afterEach(async () => {
  for (const log of logs.splice(0)) await log.close();
});

async function entries(count: number, prefix: string): Promise<LogEntry[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => groupChanged(G1, { Name: `${prefix}-${i}` })));
}

describe('the group commit of a store that writes before its fsync', () => {
  it('hands the store the next batch once the one before is written, before it is durable', async () => {
    const { committer, inner, started, next } = pipelinedCommitter();
    logs.push(inner);
    const commits = createGroupCommit(committer);
    const [a, b, c] = await entries(3, 'p');
    const first = appendOne(commits, a!);
    await next(1);
    const later = [appendOne(commits, b!), appendOne(commits, c!)];
    await new Promise((resolve) => setImmediate(resolve));
    // Not written yet: the later two wait, and join one batch.
    expect(started).toHaveLength(1);
    started[0]!.write();
    await next(2);
    expect(started[1]!.entries.map((e) => e.changes.Name)).toEqual(['p-1', 'p-2']);
    await started[0]!.makeDurable();
    await started[1]!.makeDurable();
    expect((await first).seq).toBe(1);
    expect((await Promise.all(later)).map((r) => r.seq)).toEqual([2, 3]);
  });

  it('answers batches and tells onCommit in the order they were written, whichever is durable first', async () => {
    const { committer, inner, started, next } = pipelinedCommitter();
    logs.push(inner);
    const told: number[][] = [];
    const commits = createGroupCommit(committer);
    commits.onCommit((results) => told.push(results.map((r) => r.seq)));
    const [a, b] = await entries(2, 'o');
    const answered: string[] = [];
    const first = appendOne(commits, a!).then(() => answered.push('a'));
    await next(1);
    started[0]!.write();
    const second = appendOne(commits, b!).then(() => answered.push('b'));
    await next(2);
    started[1]!.write();
    // The second batch reports durable first: nobody is answered before the first one is.
    await started[1]!.makeDurable();
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toEqual([]);
    expect(told).toEqual([]);
    await started[0]!.makeDurable();
    await Promise.all([first, second]);
    expect(answered).toEqual(['a', 'b']);
    // makeDurable committed the second batch first in the inner log: seq 1 is b's, 2 is a's.
    expect(told).toEqual([[2], [1]]);
  });

  it('drains only once every written batch is durable and answered', async () => {
    const { committer, inner, started, next } = pipelinedCommitter();
    logs.push(inner);
    const commits = createGroupCommit(committer);
    const [a] = await entries(1, 'd');
    const submitted = appendOne(commits, a!);
    await next(1);
    started[0]!.write();
    let drained = false;
    const draining = commits.drain().then(() => {
      drained = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    await started[0]!.makeDurable();
    await draining;
    expect((await submitted).seq).toBe(1);
  });

  it('refuses the entries of a written batch whose fsync has not reported after maxAnswerMs', async () => {
    const { committer, inner, started, next } = pipelinedCommitter();
    logs.push(inner);
    const commits = createGroupCommit(committer, { maxAnswerMs: 50 });
    const [a] = await entries(1, 'late');
    const outcome = appendOne(commits, a!).then(
      () => 'ok',
      (error: unknown) => error,
    );
    await next(1);
    started[0]!.write();
    expect(await outcome).toBeInstanceOf(QueueOverloadedError);
    await started[0]!.makeDurable();
    await commits.drain();
  });

  it('answers a batch whose commit failed at once with its error, while the batch before waits for its fsync, without an unhandled rejection', async () => {
    const { committer, inner, started, next, failNext } = pipelinedCommitter();
    logs.push(inner);
    const unhandled: unknown[] = [];
    const hear = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', hear);
    try {
      const commits = createGroupCommit(committer);
      const [a, b] = await entries(2, 'full');
      const first = appendOne(commits, a!);
      await next(1);
      started[0]!.write();
      failNext.push(new Error('the disk is full'));
      const second = appendOne(commits, b!).then(
        () => 'ok',
        (error: unknown) => (error as Error).message,
      );
      // The first batch's fsync takes a while: the failed one waits its turn to be answered.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
      await started[0]!.makeDurable();
      expect((await first).seq).toBe(1);
      expect(await second).toBe('the disk is full');
    } finally {
      process.off('unhandledRejection', hear);
    }
  });
});
