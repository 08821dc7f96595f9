import { closeSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DatabaseSettingError } from '../database-setting-error.js';

/** Where the `db` setting points: a SQLite file, or a PostgreSQL URL. */
export type DatabaseTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** The first bytes of every SQLite database file (sqlite.org/fileformat.html §1.3). */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** File systems that hold no files of their own: SQLite on them fails, or spins. */
const VIRTUAL_ROOTS = ['/proc', '/sys', '/dev'];

/**
 * Reads the `db` setting: `postgres://…` or `postgresql://…` is PostgreSQL, `sqlite:PATH` and any
 * other text not shaped like a URL is a SQLite file. Throws {@link DatabaseSettingError} for a URL
 * of another scheme (`mysql://…`) rather than make a folder named after it.
 */
export function parseDatabaseSetting(db: string): DatabaseTarget {
  if (/^postgres(ql)?:\/\//.test(db)) return { kind: 'postgres', url: db };
  if (db.startsWith('sqlite:')) return { kind: 'sqlite', path: db.slice('sqlite:'.length) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(db)) {
    throw new DatabaseSettingError(
      `the database ${maskPassword(db)} is not supported: give a SQLite file path, sqlite:PATH, or a postgres:// URL`,
    );
  }
  return { kind: 'sqlite', path: db };
}

/**
 * Checks, before SQLite opens it, that `path` can be a database file: not on /proc, /sys or /dev;
 * not a folder; a SQLite database if it holds anything; and, when it does not exist yet, that no
 * file stands where one of its folders would be created. Throws {@link DatabaseSettingError}.
 */
export function checkSqlitePath(path: string): void {
  if (path === ':memory:' || path === '') return;
  const absolute = resolve(path);
  const root = VIRTUAL_ROOTS.find((prefix) => absolute === prefix || absolute.startsWith(`${prefix}/`));
  if (root) {
    throw new DatabaseSettingError(
      `the database ${path} is on ${root}, a virtual file system: give a path on a disk`,
    );
  }
  const found = statIfAny(absolute);
  if (!found) {
    checkFolders(path, dirname(absolute));
    return;
  }
  if (found.isDirectory()) {
    throw new DatabaseSettingError(
      `the database ${path} is a folder, not a database file: name a file in it, such as ${join(path, 'timhook.db')}`,
    );
  }
  if (!found.isFile()) throw new DatabaseSettingError(`the database ${path} is not a regular file`);
  if (found.size > 0 && !hasSqliteHeader(absolute)) {
    throw new DatabaseSettingError(
      `the database ${path} is not a SQLite database: name a new file, or a timhook database`,
    );
  }
}

/** The nearest existing folder of a file to be created must be a folder. */
function checkFolders(path: string, folder: string): void {
  for (let dir = folder; ; dir = dirname(dir)) {
    const found = statIfAny(dir);
    if (found) {
      if (!found.isDirectory()) {
        throw new DatabaseSettingError(
          `the database ${path} cannot be created: ${dir} is a file, not a folder`,
        );
      }
      return;
    }
    if (dirname(dir) === dir) return;
  }
}

/** The entry at `path`, or null when there is none (also when a file stands where a folder would). */
function statIfAny(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

function hasSqliteHeader(path: string): boolean {
  const head = Buffer.alloc(SQLITE_HEADER.length);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return true; // Unreadable: SQLite says why, with the path (sqlite/database.ts).
  }
  try {
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(SQLITE_HEADER);
  } finally {
    closeSync(fd);
  }
}

function maskPassword(url: string): string {
  return url.replace(/^([^:]+:\/\/[^:@/]*):[^@/]*@/, '$1:***@');
}
