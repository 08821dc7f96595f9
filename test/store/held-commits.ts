import type { AppendResult, LogEntry } from '../../src/store/index.js';
import type { Committer, TakeEntries } from '../../src/store/committer.js';

/**
 * A store's commits, watched and holdable by a test, to play a slow, stalled or failing disk: pass
 * `wrapCommitter` in the store's `groupCommit` settings.
 */
export interface HeldCommits {
  wrapCommitter: (inner: Committer) => Committer;
  /** The entries of every commit so far, in commit order. */
  calls: LogEntry[][];
  /** Holds every later commit until `open()`. */
  hold(): void;
  open(): void;
  /** Makes the next commit fail with `error` instead of writing. */
  failNext(error: Error): void;
  /** Resolves once `count` commits have started. */
  commitStarted(count: number): Promise<void>;
}

export function holdCommits(): HeldCommits {
  const calls: LogEntry[][] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let gate: Promise<void> | null = null;
  let release = () => {};
  let failure: Error | null = null;
  return {
    calls,
    wrapCommitter: (inner) => (take) => {
      const entries = [...take()];
      calls.push(entries);
      for (const waiter of waiters.filter((w) => calls.length >= w.count)) waiter.resolve();
      if (!gate && !failure) return inner(takeOnce(entries));
      const results = (async (): Promise<AppendResult[]> => {
        while (gate) await gate;
        const error = failure;
        failure = null;
        if (error) throw error;
        return inner(takeOnce(entries)).results;
      })();
      return { written: results.then(noop, noop), results };
    },
    hold() {
      if (gate) return;
      gate = new Promise<void>((resolve) => {
        release = () => {
          gate = null;
          resolve();
        };
      });
    },
    open: () => release(),
    failNext(error) {
      failure = error;
    },
    commitStarted(count) {
      if (calls.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
  };
}

/** Hands over `entries` at the first take, nothing after. */
function takeOnce(entries: readonly LogEntry[]): TakeEntries {
  let taken = false;
  return () => {
    if (taken) return [];
    taken = true;
    return entries;
  };
}

function noop(): void {}
