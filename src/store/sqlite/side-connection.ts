import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { registerDedupeHash } from './dedupe-hash.js';
import { SQLITE_MIGRATIONS } from './migrations.js';

/**
 * A connection of its own to the change log's SQLite file, for the relay's and the mirror's state
 * (WAL lets it write beside the log's). Writes use synchronous=NORMAL: what a power cut takes from
 * them is only work done again (events delivered again with the same ids, a batch checked again).
 */
export function openSideConnection(path: string): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrateSqlite(db);
  return db;
}

/**
 * Brings the file's schema up to date when this connection is the first to open it (the CLI on a
 * database the recorder never opened, or `:memory:`): the same list and `user_version` as the
 * change log's own migration, so whichever opens first migrates, once. The WAL is emptied after.
 */
export function migrateSqlite(db: Database.Database): void {
  const known = SQLITE_MIGRATIONS.length;
  const version = () => db.pragma('user_version', { simple: true }) as number;
  if (version() > known) {
    throw new Error(
      `the database is at schema version ${version()}, newer than this timhook knows (${known}): upgrade timhook`,
    );
  }
  if (version() === known) return;
  registerDedupeHash(db);
  db.transaction(() => {
    for (let at = version(); at < known; at++) {
      db.exec(SQLITE_MIGRATIONS[at]!);
      db.pragma(`user_version = ${at + 1}`);
    }
  }).immediate();
  // A migration may rebuild a table: copy it into the file now and empty the WAL, rather than keep
  // a second copy of the log on disk until the checkpoints catch up.
  db.pragma('wal_checkpoint(TRUNCATE)');
}
