import type { AppendResult, CommitListener, LogEntry } from './change-log.js';
import type { Committer, CommitRun } from './committer.js';

/**
 * Settings of a change log's group commit (`openChangeLog({ groupCommit })`): how much it joins into
 * one commit, and when it refuses an append rather than keep its caller waiting.
 */
export interface GroupCommitOptions {
  /** Most entries in one commit; one `append` call's entries are never split. Default 1000. */
  maxBatch?: number;
  /** Most entries waiting; past it `append` refuses at once. Default 20000. */
  maxQueue?: number;
  /**
   * Longest an append may wait for its commit to start, ms; past it the append is refused, not
   * committed, so its caller can answer FAIL before the IM backend's 2 s timeout — also while the
   * commit ahead of it has not returned. Default 1000; `Infinity` for a caller that can wait.
   */
  maxWaitMs?: number;
  /**
   * Longest an append waits in all, ms, its commit included: past it the append is refused (FAIL)
   * while its commit goes on — a database that stalls mid-commit (another instance frozen holding
   * PostgreSQL's append lock, a disk that hangs) must not hold callbacks past the IM backend's 2 s.
   * If the commit then succeeds, the backend's retry is answered OK as a duplicate: a FAIL never
   * loses an event, it only costs a retry. Default 1800; `Infinity` for a caller that can wait.
   */
  maxAnswerMs?: number;
  now?: () => number;
  /** For tests: wraps the store's committer, to hold or watch its commits. */
  wrapCommitter?: (committer: Committer) => Committer;
}

/** Why an append was not committed: too many entries waited, or it waited past its deadline. */
export class QueueOverloadedError extends Error {
  override name = 'QueueOverloadedError';
}

/** Group commit in front of a store: every append that arrives while a commit runs joins the next one. */
export interface GroupCommit {
  /** Resolves once `entries` are durably committed (see `ChangeLog.append`). */
  append(entries: readonly LogEntry[]): Promise<AppendResult[]>;
  /** Entries waiting for a commit. */
  waiting(): number;
  /** See `ChangeLog.onCommit`. */
  onCommit(listener: CommitListener): () => void;
  /** See `ChangeLog.drain`. */
  drain(): Promise<void>;
  /** Refuses later appends, and resolves once every earlier one is committed and answered, or refused. */
  close(): Promise<void>;
}

interface Waiting {
  entries: readonly LogEntry[];
  at: number;
  resolve: (results: AppendResult[]) => void;
  reject: (error: unknown) => void;
}

/** The appends one commit took, and their `maxAnswerMs` timers. */
interface Round {
  start: number;
  taken: Waiting[];
  count: number;
  deadlines: Timer[];
  /** False once the commit has returned: a later take would never be answered. */
  open: boolean;
}

type Timer = ReturnType<typeof setTimeout>;

/** The group commit's state: the settings and what is waiting, committing and being answered. */
interface GroupState {
  commit: Committer;
  maxBatch: number;
  maxQueue: number;
  maxWaitMs: number;
  maxAnswerMs: number;
  now: () => number;
  listeners: Set<CommitListener>;
  queue: Waiting[];
  /** Entries of the appends in `queue`. */
  queued: number;
  running: Promise<void> | null;
  /** Commits written and waiting to be durable, answered in commit order. */
  answering: Promise<void>;
  expiry: Timer | null;
  closed: boolean;
}

/** Creates the group commit of a store that commits through `committer`. */
export function createGroupCommit(committer: Committer, options: GroupCommitOptions = {}): GroupCommit {
  const state: GroupState = {
    commit: options.wrapCommitter ? options.wrapCommitter(committer) : committer,
    maxBatch: options.maxBatch ?? 1000,
    maxQueue: options.maxQueue ?? 20_000,
    maxWaitMs: options.maxWaitMs ?? 1000,
    maxAnswerMs: options.maxAnswerMs ?? 1800,
    now: options.now ?? Date.now,
    listeners: new Set(),
    queue: [],
    queued: 0,
    running: null,
    answering: Promise.resolve(),
    expiry: null,
    closed: false,
  };
  return {
    append: (entries) => enqueueAppend(state, entries),
    waiting: () => state.queued,
    onCommit(listener) {
      state.listeners.add(listener);
      return () => {
        state.listeners.delete(listener);
      };
    },
    drain: () => drain(state),
    close() {
      state.closed = true;
      return drain(state);
    },
  };
}

function enqueueAppend(state: GroupState, entries: readonly LogEntry[]): Promise<AppendResult[]> {
  if (state.closed) return Promise.reject(new Error('the change log is closed'));
  if (entries.length === 0) return Promise.resolve([]);
  if (state.queued >= state.maxQueue) {
    return Promise.reject(new QueueOverloadedError(`the commit queue is full (${state.maxQueue} waiting)`));
  }
  return new Promise<AppendResult[]>((resolve, reject) => {
    state.queue.push({ entries, at: state.now(), resolve, reject });
    state.queued += entries.length;
    armExpiry(state);
    schedule(state);
  });
}

async function drain(state: GroupState): Promise<void> {
  for (;;) {
    if (state.running) await state.running;
    const last = state.answering;
    await last;
    if (!state.running && last === state.answering) return;
  }
}

function refuseStale(state: GroupState, waiting: Waiting): void {
  state.queued -= waiting.entries.length;
  waiting.reject(new QueueOverloadedError(`waited over ${state.maxWaitMs} ms for a commit`));
}

// The check at the start of a commit cannot help while the commit ahead never returns (a stalled
// disk): a timer refuses those appends on time, so no callback hangs past the IM backend's 2 s.
function armExpiry(state: GroupState): void {
  const oldest = state.queue[0];
  if (state.expiry || !oldest || !Number.isFinite(state.maxWaitMs)) return;
  state.expiry = setTimeout(
    () => expireStale(state),
    Math.max(1, oldest.at + state.maxWaitMs - state.now() + 1),
  );
  state.expiry.unref?.();
}

function expireStale(state: GroupState): void {
  state.expiry = null;
  refuseStaleHead(state);
  armExpiry(state);
}

/** Refuses the appends at the head of the queue that waited past `maxWaitMs` (the oldest come first). */
function refuseStaleHead(state: GroupState): void {
  const at = state.now();
  let stale = 0;
  while (stale < state.queue.length && at - state.queue[stale]!.at > state.maxWaitMs) stale++;
  for (const waiting of state.queue.splice(0, stale)) refuseStale(state, waiting);
}

/**
 * Takes whole appends from the head of the queue into `round`, up to `maxBatch` entries (a single
 * larger append goes alone): refuses those that waited past `maxWaitMs`, and arms the `maxAnswerMs`
 * deadline of those it keeps. Returns their entries.
 */
function takeFresh(state: GroupState, round: Round): LogEntry[] {
  const { queue } = state;
  const at = state.now();
  const fresh: Waiting[] = [];
  const entries: LogEntry[] = [];
  let i = 0;
  for (; i < queue.length; i++) {
    const waiting = queue[i]!;
    if (at - waiting.at > state.maxWaitMs) {
      refuseStale(state, waiting);
      continue;
    }
    const size = waiting.entries.length;
    if (round.count + size > state.maxBatch && round.count > 0) break;
    fresh.push(waiting);
    round.count += size;
    state.queued -= size;
    for (const entry of waiting.entries) entries.push(entry);
  }
  state.queue = i >= queue.length ? [] : queue.slice(i);
  if (fresh.length === 0) return entries;
  round.taken.push(...fresh);
  if (Number.isFinite(state.maxAnswerMs)) round.deadlines.push(armAnswerDeadline(state, fresh));
  return entries;
}

function armAnswerDeadline(state: GroupState, fresh: readonly Waiting[]): Timer {
  // A promise settles once: a late commit's resolve after this refusal changes nothing.
  const deadline = setTimeout(
    () => {
      const error = new QueueOverloadedError(`the commit did not return within ${state.maxAnswerMs} ms`);
      for (const waiting of fresh) waiting.reject(error);
    },
    Math.max(1, fresh[0]!.at + state.maxAnswerMs - state.now()),
  );
  deadline.unref?.();
  return deadline;
}

async function flush(state: GroupState): Promise<void> {
  for (;;) {
    refuseStaleHead(state);
    if (state.queue.length === 0) return;
    const round: Round = { start: state.now(), taken: [], count: 0, deadlines: [], open: true };
    const take = (): LogEntry[] =>
      round.open && round.count < state.maxBatch ? takeFresh(state, round) : [];
    let run: CommitRun;
    try {
      run = state.commit(take);
    } catch (error) {
      run = { written: Promise.resolve(), results: Promise.reject(error) };
    }
    const results = run.results.finally(() => {
      round.open = false;
    });
    // Heard later, in commit order: a commit that failed at once must not count as unhandled
    // meanwhile (Node ends the process on an unhandled rejection).
    results.catch(noop);
    state.answering = state.answering.then(() => answer(state, round, results));
    await run.written;
  }
}

/** Answers a commit's appends once it has returned, after telling the listeners. */
async function answer(state: GroupState, round: Round, committing: Promise<AppendResult[]>): Promise<void> {
  try {
    const results = await committing;
    if (round.taken.length === 0) return;
    if (results.length !== round.count) {
      throw new Error(`the store answered ${results.length} results for ${round.count} entries`);
    }
    const ms = state.now() - round.start;
    for (const listener of state.listeners) {
      try {
        listener(results, ms);
      } catch {
        // Committed all the same: its appends are answered OK below.
      }
    }
    let offset = 0;
    for (const waiting of round.taken) {
      const end = offset + waiting.entries.length;
      waiting.resolve(round.taken.length === 1 ? results : results.slice(offset, end));
      offset = end;
    }
  } catch (error) {
    for (const waiting of round.taken) waiting.reject(error);
  } finally {
    for (const deadline of round.deadlines) clearTimeout(deadline);
  }
}

function schedule(state: GroupState): void {
  if (state.running) return;
  // setImmediate lets every request already read in this turn of the event loop join the commit.
  state.running = new Promise<void>((resolve) => setImmediate(resolve))
    .then(() => flush(state))
    .finally(() => {
      state.running = null;
      if (state.queue.length > 0) schedule(state);
    });
}

function noop(): void {}
