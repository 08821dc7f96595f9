import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { DatabaseSettingError } from '../database-setting-error.js';
import { checkSqlitePath } from './path.js';
import { migrateSqlite } from './side-connection.js';

/** How hard a commit waits for the disk. */
export type Durability = 'full' | 'normal';

/** Settings of the SQLite change log. */
export interface SqliteOptions {
  /** The database file; its folder is created. `:memory:` for tests. */
  path: string;
  /**
   * `full` (default): every commit is fsynced before `append` returns, so an answered callback
   * survives power loss. `normal`: WAL commits reach the OS but the last ones may be lost on power
   * loss (not on a process crash) — faster on slow disks.
   */
  durability?: Durability;
}

/**
 * Opens a connection to the log's file (creating its folder), in WAL mode, migrated to the newest
 * schema. A path that cannot be a database throws a {@link DatabaseSettingError} naming it.
 */
export function openSqliteDatabase(options: SqliteOptions): Database.Database {
  checkSqlitePath(options.path);
  let db: Database.Database;
  try {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    db = new Database(options.path);
    db.pragma('journal_mode = WAL');
  } catch (error) {
    throw new DatabaseSettingError(
      `the database ${options.path} cannot be opened: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  db.pragma(`synchronous = ${options.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrateSqlite(db);
  return db;
}
