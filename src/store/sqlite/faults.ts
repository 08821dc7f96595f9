import type { StoreFault } from '../store-health.js';

/** The code an append fails with when the database file is no longer the one it opened. */
export const FILE_GONE_CODE = 'TIMHOOK_FILE_GONE';

/**
 * Which store fault a SQLite (or file system) error shows, and whether it lasts until a restart;
 * null for an error that is not the disk's (a bug, a constraint): the caller answers it as before.
 *
 * - `SQLITE_FULL`, `ENOSPC`, `EDQUOT`: the disk is full; it clears once space is freed.
 * - `SQLITE_IOERR_*`, `SQLITE_CORRUPT`, `SQLITE_NOTADB`, `EIO`: the kernel may have dropped pages it
 *   could not write, and a later fsync can succeed without them (see sqlite/wal-sync.ts): until restart.
 * - `SQLITE_READONLY_DBMOVED`, {@link FILE_GONE_CODE}: the file was deleted or replaced: until restart.
 */
export function classifySqliteError(error: unknown): { fault: StoreFault; lasting: boolean } | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT')
    return { fault: 'disk_full', lasting: false };
  if (code === FILE_GONE_CODE || code === 'SQLITE_READONLY_DBMOVED')
    return { fault: 'file_gone', lasting: true };
  if (
    code.startsWith('SQLITE_IOERR') ||
    code.startsWith('SQLITE_CORRUPT') ||
    code === 'SQLITE_NOTADB' ||
    code === 'EIO'
  ) {
    return { fault: 'io_error', lasting: true };
  }
  return null;
}
