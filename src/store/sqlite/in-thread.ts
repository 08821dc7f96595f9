import type { ChangeLog } from '../change-log.js';
import { createGroupCommit, type GroupCommitOptions } from '../group-commit.js';
import { createSqliteAppend } from './append.js';
import { openSqliteDatabase, type SqliteOptions } from './database.js';
import { scheduleDeferredWrites, writeDeferredNow } from './deferred-schedule.js';
import { createDeferredWrites } from './deferred-writes.js';
import { createSqliteReader } from './reader.js';

export type { Durability, SqliteOptions } from './database.js';

/** Settings of a SQLite change log: the file, and its group commit. */
export interface SqliteLogOptions extends SqliteOptions {
  groupCommit?: GroupCommitOptions;
  /**
   * How long what the appends write behind the OK (profiles, dedupe keys, group events) may wait,
   * ms (default 1,000): a read that needs it, enough of it waiting, or close writes it sooner
   * (sqlite/deferred-writes.ts).
   */
  deferredWriteMs?: number;
}

/** The default of {@link SqliteLogOptions.deferredWriteMs}. */
export const DEFERRED_WRITE_MS = 1000;

/**
 * Opens (creating and migrating as needed) a change log in one SQLite file, on one connection in
 * this thread, each commit fsynced before its appends resolve. `timhook serve` uses
 * {@link openThreadedSqliteChangeLog} instead, which fsyncs beside the event loop and checkpoints on
 * a thread; this one suits tools, tests and `:memory:`.
 */
export function openSqliteChangeLog(options: SqliteLogOptions): ChangeLog {
  const db = openSqliteDatabase(options);
  const deferred = createDeferredWrites(db);
  const appendBatch = createSqliteAppend(db, deferred);
  const writes = scheduleDeferredWrites(deferred, options.deferredWriteMs ?? DEFERRED_WRITE_MS);
  // The transaction runs in this turn of the event loop: the store is free again when it returns.
  const commits = createGroupCommit((take) => {
    let results: Promise<ReturnType<typeof appendBatch>>;
    try {
      results = Promise.resolve(appendBatch(take()));
      if (deferred.due()) writeDeferredNow(deferred);
    } catch (error) {
      results = Promise.reject(error);
    }
    return { written: Promise.resolve(), results };
  }, options.groupCommit);
  let closing: Promise<void> | null = null;
  return {
    ...createSqliteReader(db, { writeDeferred: deferred.write }),
    append: commits.append,
    waiting: commits.waiting,
    onCommit: commits.onCommit,
    drain: commits.drain,
    // One writer per file: nothing else appends, so there is nothing to hear.
    watch: () => () => {},
    close() {
      closing ??= commits.close().then(() => {
        writes.stop();
        writeDeferredNow(deferred);
        db.close();
      });
      return closing;
    },
  };
}
