import type { AppendResult, ChangeLog, LogEntry } from './change-log.js';

/** Settings of the group-commit queue. */
export interface CommitQueueOptions {
  /** Most entries in one transaction. Default 1000. */
  maxBatch?: number;
  /** Most entries waiting; past it `submit` refuses at once. Default 20000. */
  maxQueue?: number;
  /**
   * Longest an entry may wait for its commit to start, ms; past it the entry is refused, not
   * committed, so its caller can answer FAIL before the IM backend's 2 s timeout — also while the
   * commit ahead of it has not returned. Default 1000.
   */
  maxWaitMs?: number;
  /**
   * Longest a submitter waits in all, ms, its commit included: past it the entry is refused
   * (FAIL) while its commit goes on — a database that stalls mid-commit (another instance frozen
   * holding PostgreSQL's append lock, a disk that hangs) must not hold callbacks past the IM
   * backend's 2 s. If the commit then succeeds, the backend's retry is answered OK as a duplicate:
   * a FAIL never loses an event, it only costs a retry. Default 1800.
   */
  maxAnswerMs?: number;
  /** Told after each commit: batch size and how long the commit took, ms. */
  onCommit?: (size: number, ms: number) => void;
  /** Told of each committed batch's results, before its submitters hear (the live stream follows it). */
  onCommitted?: (results: readonly AppendResult[]) => void;
  now?: () => number;
}

/** Why an entry was not committed: the queue was full, or it waited past `maxWaitMs`. */
export class QueueOverloadedError extends Error {
  override name = 'QueueOverloadedError';
}

/** Group commit over a change log: every entry that arrives while a commit runs joins the next one. */
export interface CommitQueue {
  /** Resolves once `entry` is durably committed (or found to be a duplicate). */
  submit(entry: LogEntry): Promise<AppendResult>;
  /** Entries waiting. */
  depth(): number;
  /** Resolves when everything submitted so far has been committed or refused. */
  drain(): Promise<void>;
}

interface Waiting {
  entry: LogEntry;
  at: number;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/** Creates a group-commit queue in front of `log`. */
export function createCommitQueue(log: ChangeLog, options: CommitQueueOptions = {}): CommitQueue {
  const {
    maxBatch = 1000,
    maxQueue = 20_000,
    maxWaitMs = 1000,
    maxAnswerMs = 1800,
    onCommit,
    onCommitted,
    now = Date.now,
  } = options;
  let queue: Waiting[] = [];
  let running: Promise<void> | null = null;
  // Batches written and waiting to be durable (see ChangeLog.beginAppend), answered in order.
  let answering: Promise<void> = Promise.resolve();
  let expiry: ReturnType<typeof setTimeout> | null = null;

  function refuseStale(waiting: Waiting): void {
    waiting.reject(new QueueOverloadedError(`waited over ${maxWaitMs} ms for a commit`));
  }

  // The check at the start of a batch cannot help while the commit ahead never returns (a stalled
  // disk): a timer refuses those entries on time, so no callback hangs past the IM backend's 2 s.
  function armExpiry(): void {
    const oldest = queue[0];
    if (expiry || !oldest) return;
    expiry = setTimeout(expireStale, Math.max(1, oldest.at + maxWaitMs - now() + 1));
    expiry.unref?.();
  }

  function expireStale(): void {
    expiry = null;
    const at = now();
    let stale = 0;
    while (stale < queue.length && at - queue[stale]!.at > maxWaitMs) stale++;
    for (const waiting of queue.splice(0, stale)) refuseStale(waiting);
    armExpiry();
  }

  /**
   * Takes up to `limit` entries from the head of the queue for a commit starting now: refuses those
   * that waited past `maxWaitMs`, and arms the `maxAnswerMs` deadline of those it keeps.
   */
  function takeFresh(limit: number): { fresh: Waiting[]; deadline: ReturnType<typeof setTimeout> | null } {
    const batch = queue.length <= limit ? queue : queue.slice(0, limit);
    queue = queue.length <= limit ? [] : queue.slice(limit);
    const start = now();
    const fresh: Waiting[] = [];
    for (const waiting of batch) {
      if (start - waiting.at > maxWaitMs) refuseStale(waiting);
      else fresh.push(waiting);
    }
    if (fresh.length === 0) return { fresh, deadline: null };
    // A promise settles once: a late commit's resolve after this refusal changes nothing.
    const deadline = setTimeout(
      () => {
        const error = new QueueOverloadedError(`the commit did not return within ${maxAnswerMs} ms`);
        for (const waiting of fresh) waiting.reject(error);
      },
      Math.max(1, fresh[0]!.at + maxAnswerMs - now()),
    );
    deadline.unref?.();
    return { fresh, deadline };
  }

  async function flush(): Promise<void> {
    while (queue.length > 0) {
      if (!log.beginAppend && log.appendTaking) {
        await commitTaking(log.appendTaking.bind(log));
        continue;
      }
      const start = now();
      const { fresh, deadline } = takeFresh(maxBatch);
      if (!deadline) continue;
      const entries = fresh.map((w) => w.entry);
      if (log.beginAppend) {
        // The next batch is written while this one's fsync runs; answers keep the commit order.
        const pending = log.beginAppend(entries);
        answering = answering.then(() => answer(fresh, start, pending.results, [deadline]));
        await pending.written;
      } else {
        await answer(fresh, start, log.append(entries), [deadline]);
      }
    }
  }

  /**
   * One commit through `ChangeLog.appendTaking`: the store takes the waiting entries when it is
   * ready for them (PostgreSQL: also when it reads its batch again under its append lock, so that
   * what arrived meanwhile joins this commit), each time with the same refusals as above.
   */
  async function commitTaking(appendTaking: NonNullable<ChangeLog['appendTaking']>): Promise<void> {
    const start = now();
    const taken: Waiting[] = [];
    const deadlines: Array<ReturnType<typeof setTimeout>> = [];
    let open = true;
    const take = (): LogEntry[] => {
      // Taken after the append returned, an entry would never be answered.
      if (!open || taken.length >= maxBatch) return [];
      const { fresh, deadline } = takeFresh(maxBatch - taken.length);
      if (deadline) deadlines.push(deadline);
      taken.push(...fresh);
      return fresh.map((w) => w.entry);
    };
    const committing = (async () => {
      try {
        const results = await appendTaking(take);
        if (results.length !== taken.length) {
          throw new Error(`the store answered ${results.length} results for ${taken.length} entries`);
        }
        return results;
      } finally {
        open = false;
      }
    })();
    await answer(taken, start, committing, deadlines);
  }

  /** Answers a batch's submitters once its commit has returned, after telling the listeners. */
  async function answer(
    batch: readonly Waiting[],
    start: number,
    committing: Promise<AppendResult[]>,
    deadlines: ReadonlyArray<ReturnType<typeof setTimeout>>,
  ): Promise<void> {
    try {
      const results = await committing;
      if (batch.length === 0) return;
      onCommit?.(batch.length, now() - start);
      try {
        onCommitted?.(results);
      } catch {
        // Committed all the same: its submitters are answered OK below.
      }
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    } finally {
      for (const deadline of deadlines) clearTimeout(deadline);
    }
  }

  function schedule(): void {
    if (running) return;
    // setImmediate lets every request already read in this turn of the event loop join the batch.
    running = new Promise<void>((resolve) => setImmediate(resolve)).then(flush).finally(() => {
      running = null;
      if (queue.length > 0) schedule();
    });
  }

  return {
    submit(entry) {
      if (queue.length >= maxQueue) {
        return Promise.reject(new QueueOverloadedError(`the commit queue is full (${maxQueue} waiting)`));
      }
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ entry, at: now(), resolve, reject });
        armExpiry();
        schedule();
      });
    },
    depth: () => queue.length,
    async drain() {
      for (;;) {
        if (running) await running;
        const last = answering;
        await last;
        if (!running && last === answering) return;
      }
    },
  };
}
