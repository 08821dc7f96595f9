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

type Timer = ReturnType<typeof setTimeout>;

/** The queue's state: the settings and what is waiting, committing and being answered. */
interface QueueState {
  log: ChangeLog;
  maxBatch: number;
  maxQueue: number;
  maxWaitMs: number;
  maxAnswerMs: number;
  onCommit: CommitQueueOptions['onCommit'];
  onCommitted: CommitQueueOptions['onCommitted'];
  now: () => number;
  queue: Waiting[];
  running: Promise<void> | null;
  /** Batches written and waiting to be durable (see ChangeLog.beginAppend), answered in order. */
  answering: Promise<void>;
  expiry: Timer | null;
}

/** Creates a group-commit queue in front of `log`. */
export function createCommitQueue(log: ChangeLog, options: CommitQueueOptions = {}): CommitQueue {
  const state: QueueState = {
    log,
    maxBatch: options.maxBatch ?? 1000,
    maxQueue: options.maxQueue ?? 20_000,
    maxWaitMs: options.maxWaitMs ?? 1000,
    maxAnswerMs: options.maxAnswerMs ?? 1800,
    onCommit: options.onCommit,
    onCommitted: options.onCommitted,
    now: options.now ?? Date.now,
    queue: [],
    running: null,
    answering: Promise.resolve(),
    expiry: null,
  };
  return {
    submit: (entry) => submit(state, entry),
    depth: () => state.queue.length,
    drain: () => drain(state),
  };
}

function submit(state: QueueState, entry: LogEntry): Promise<AppendResult> {
  if (state.queue.length >= state.maxQueue) {
    return Promise.reject(new QueueOverloadedError(`the commit queue is full (${state.maxQueue} waiting)`));
  }
  return new Promise<AppendResult>((resolve, reject) => {
    state.queue.push({ entry, at: state.now(), resolve, reject });
    armExpiry(state);
    schedule(state);
  });
}

async function drain(state: QueueState): Promise<void> {
  for (;;) {
    if (state.running) await state.running;
    const last = state.answering;
    await last;
    if (!state.running && last === state.answering) return;
  }
}

function refuseStale(state: QueueState, waiting: Waiting): void {
  waiting.reject(new QueueOverloadedError(`waited over ${state.maxWaitMs} ms for a commit`));
}

// The check at the start of a batch cannot help while the commit ahead never returns (a stalled
// disk): a timer refuses those entries on time, so no callback hangs past the IM backend's 2 s.
function armExpiry(state: QueueState): void {
  const oldest = state.queue[0];
  if (state.expiry || !oldest) return;
  state.expiry = setTimeout(
    () => expireStale(state),
    Math.max(1, oldest.at + state.maxWaitMs - state.now() + 1),
  );
  state.expiry.unref?.();
}

function expireStale(state: QueueState): void {
  state.expiry = null;
  const at = state.now();
  let stale = 0;
  while (stale < state.queue.length && at - state.queue[stale]!.at > state.maxWaitMs) stale++;
  for (const waiting of state.queue.splice(0, stale)) refuseStale(state, waiting);
  armExpiry(state);
}

/**
 * Takes up to `limit` entries from the head of the queue for a commit starting now: refuses those
 * that waited past `maxWaitMs`, and arms the `maxAnswerMs` deadline of those it keeps.
 */
function takeFresh(state: QueueState, limit: number): { fresh: Waiting[]; deadline: Timer | null } {
  const { queue } = state;
  const batch = queue.length <= limit ? queue : queue.slice(0, limit);
  state.queue = queue.length <= limit ? [] : queue.slice(limit);
  const start = state.now();
  const fresh: Waiting[] = [];
  for (const waiting of batch) {
    if (start - waiting.at > state.maxWaitMs) refuseStale(state, waiting);
    else fresh.push(waiting);
  }
  if (fresh.length === 0) return { fresh, deadline: null };
  // A promise settles once: a late commit's resolve after this refusal changes nothing.
  const deadline = setTimeout(
    () => {
      const error = new QueueOverloadedError(`the commit did not return within ${state.maxAnswerMs} ms`);
      for (const waiting of fresh) waiting.reject(error);
    },
    Math.max(1, fresh[0]!.at + state.maxAnswerMs - state.now()),
  );
  deadline.unref?.();
  return { fresh, deadline };
}

async function flush(state: QueueState): Promise<void> {
  const { log } = state;
  while (state.queue.length > 0) {
    if (!log.beginAppend && log.appendTaking) {
      await commitTaking(state, log.appendTaking.bind(log));
      continue;
    }
    const start = state.now();
    const { fresh, deadline } = takeFresh(state, state.maxBatch);
    if (!deadline) continue;
    const entries = fresh.map((w) => w.entry);
    if (log.beginAppend) {
      // The next batch is written while this one's fsync runs; answers keep the commit order.
      const pending = log.beginAppend(entries);
      // Heard later, in commit order: a commit that failed at once must not count as unhandled
      // meanwhile (Node ends the process on an unhandled rejection).
      pending.results.catch(noop);
      state.answering = state.answering.then(() => answer(state, fresh, start, pending.results, [deadline]));
      await pending.written;
    } else {
      await answer(state, fresh, start, log.append(entries), [deadline]);
    }
  }
}

/**
 * One commit through `ChangeLog.appendTaking`: the store takes the waiting entries when it is
 * ready for them (PostgreSQL: also when it reads its batch again under its append lock, so that
 * what arrived meanwhile joins this commit), each time with the same refusals as above.
 */
async function commitTaking(
  state: QueueState,
  appendTaking: NonNullable<ChangeLog['appendTaking']>,
): Promise<void> {
  const start = state.now();
  const taken: Waiting[] = [];
  const deadlines: Timer[] = [];
  let open = true;
  const take = (): LogEntry[] => {
    // Taken after the append returned, an entry would never be answered.
    if (!open || taken.length >= state.maxBatch) return [];
    const { fresh, deadline } = takeFresh(state, state.maxBatch - taken.length);
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
  await answer(state, taken, start, committing, deadlines);
}

/** Answers a batch's submitters once its commit has returned, after telling the listeners. */
async function answer(
  state: QueueState,
  batch: readonly Waiting[],
  start: number,
  committing: Promise<AppendResult[]>,
  deadlines: readonly Timer[],
): Promise<void> {
  try {
    const results = await committing;
    if (batch.length === 0) return;
    state.onCommit?.(batch.length, state.now() - start);
    try {
      state.onCommitted?.(results);
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

function schedule(state: QueueState): void {
  if (state.running) return;
  // setImmediate lets every request already read in this turn of the event loop join the batch.
  state.running = new Promise<void>((resolve) => setImmediate(resolve))
    .then(() => flush(state))
    .finally(() => {
      state.running = null;
      if (state.queue.length > 0) schedule(state);
    });
}

function noop(): void {}
