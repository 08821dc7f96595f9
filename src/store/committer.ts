import type { AppendResult, LogEntry } from './change-log.js';

/**
 * Removes and returns the entries of the appends waiting at that moment (none, at times), whole
 * calls only, at most `maxBatch` in one commit.
 */
export type TakeEntries = () => readonly LogEntry[];

/** A commit under way. */
export interface CommitRun {
  /** Settles once the store can start the next commit, whether or not this one succeeded; never rejects. */
  written: Promise<void>;
  /** One result per entry taken, in the order taken, once the commit is durable. */
  results: Promise<AppendResult[]>;
}

/**
 * How a store commits (store-internal, never on the port): it calls `take` at least once, and may
 * call it again before it commits (PostgreSQL does, under its append lock, when it has to read its
 * batch again: what arrived meanwhile joins this commit). A store that writes before it fsyncs
 * settles `written` before `results`, so that the next commit is written while this one's fsync
 * runs; the appends are answered in commit order all the same.
 */
export type Committer = (take: TakeEntries) => CommitRun;
