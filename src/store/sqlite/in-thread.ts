import type { ChangeLog } from '../change-log.js';
import { createSqliteAppend } from './append.js';
import { openSqliteDatabase, type SqliteOptions } from './database.js';
import { createSqliteReader } from './reader.js';

export type { Durability, SqliteOptions } from './database.js';

/**
 * Opens (creating and migrating as needed) a change log in one SQLite file, on one connection in
 * this thread, each commit fsynced before `append` returns. `timhook serve` uses
 * {@link openThreadedSqliteChangeLog} instead, which fsyncs beside the event loop and checkpoints on
 * a thread; this one suits tools, tests and `:memory:`.
 */
export function openSqliteChangeLog(options: SqliteOptions): ChangeLog {
  const db = openSqliteDatabase(options);
  const append = createSqliteAppend(db);
  let closed = false;
  return {
    ...createSqliteReader(db),
    async append(entries) {
      return append(entries);
    },
    // One writer per file: nothing else appends, so there is nothing to hear.
    watch: () => () => {},
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
