import { afterEach, describe, expect, it } from 'vitest';
import {
  type AppendResult,
  type ChangeLog,
  createCommitQueue,
  type LogEntry,
  openSqliteChangeLog,
  QueueOverloadedError,
} from '../../src/store/index.js';
import { G1, groupChanged } from './entries.js';

/** One `beginAppend` call, whose `written` and `results` the test settles by hand. */
interface Started {
  entries: LogEntry[];
  write: () => void;
  /** Commits the entries in the real log and answers with its results. */
  makeDurable: () => Promise<void>;
}

/** A real in-memory log whose `beginAppend` waits for the test to say "written" and "durable". */
function pipelinedLog(): {
  log: ChangeLog;
  started: Started[];
  next: (count: number) => Promise<void>;
  failNext: Error[];
} {
  const failNext: Error[] = [];
  const inner = openSqliteChangeLog({ path: ':memory:' });
  const started: Started[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const log: ChangeLog = {
    ...inner,
    append: (entries) => inner.append(entries),
    beginAppend(entries) {
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
        entries: [...entries],
        write,
        makeDurable: async () => answer(await inner.append(entries)),
      });
      for (const waiter of waiters.filter((w) => started.length >= w.count)) waiter.resolve();
      return { written, results };
    },
  };
  const next = (count: number) =>
    started.length >= count
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ count, resolve }));
  return { log, started, next, failNext };
}

const logs: ChangeLog[] = [];
afterEach(async () => {
  for (const log of logs.splice(0)) await log.close();
});

async function entries(count: number, prefix: string): Promise<LogEntry[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => groupChanged(G1, { Name: `${prefix}-${i}` })));
}

describe('the commit queue over a store that writes before its fsync', () => {
  it('hands the store the next batch once the one before is written, before it is durable', async () => {
    const { log, started, next } = pipelinedLog();
    logs.push(log);
    const queue = createCommitQueue(log);
    const [a, b, c] = await entries(3, 'p');
    const first = queue.submit(a!);
    await next(1);
    const later = [queue.submit(b!), queue.submit(c!)];
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

  it('answers batches and tells onCommitted in the order they were written, whichever is durable first', async () => {
    const { log, started, next } = pipelinedLog();
    logs.push(log);
    const told: number[][] = [];
    const queue = createCommitQueue(log, { onCommitted: (results) => told.push(results.map((r) => r.seq)) });
    const [a, b] = await entries(2, 'o');
    const answered: string[] = [];
    const first = queue.submit(a!).then(() => answered.push('a'));
    await next(1);
    started[0]!.write();
    const second = queue.submit(b!).then(() => answered.push('b'));
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
    const { log, started, next } = pipelinedLog();
    logs.push(log);
    const queue = createCommitQueue(log);
    const [a] = await entries(1, 'd');
    const submitted = queue.submit(a!);
    await next(1);
    started[0]!.write();
    let drained = false;
    const draining = queue.drain().then(() => {
      drained = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    await started[0]!.makeDurable();
    await draining;
    expect((await submitted).seq).toBe(1);
  });

  it('refuses the entries of a written batch whose fsync has not reported after maxAnswerMs', async () => {
    const { log, started, next } = pipelinedLog();
    logs.push(log);
    const queue = createCommitQueue(log, { maxAnswerMs: 50 });
    const [a] = await entries(1, 'late');
    const outcome = queue.submit(a!).then(
      () => 'ok',
      (error: unknown) => error,
    );
    await next(1);
    started[0]!.write();
    expect(await outcome).toBeInstanceOf(QueueOverloadedError);
    await started[0]!.makeDurable();
    await queue.drain();
  });

  it('answers a batch whose commit failed at once with its error, while the batch before waits for its fsync, without an unhandled rejection', async () => {
    const { log, started, next, failNext } = pipelinedLog();
    logs.push(log);
    const unhandled: unknown[] = [];
    const hear = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', hear);
    try {
      const queue = createCommitQueue(log);
      const [a, b] = await entries(2, 'full');
      const first = queue.submit(a!);
      await next(1);
      started[0]!.write();
      failNext.push(new Error('the disk is full'));
      const second = queue.submit(b!).then(
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
