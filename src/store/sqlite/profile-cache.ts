import type Database from 'better-sqlite3';
import type { ProfileView } from '../change-log.js';
import { ProfileMap } from './profile-map.js';

/**
 * The profiles one SQLite connection has read or written, so that a group's next change is merged
 * into the row it already holds instead of reading and parsing that row again (a third of what
 * the append transaction spends per event).
 */
export interface ProfileCache {
  /**
   * Call first in each write transaction: forgets everything when another connection has committed
   * to the file since this one last looked (`PRAGMA data_version`), so nothing stale is merged.
   */
  check(): void;
  /** The row of `kind`/`id` as last read or written here, or undefined when not held. */
  get(kind: 'group' | 'topic', id: string): ProfileView | undefined;
  /** Holds `row` as the current one; the oldest row goes once `capacity` are held. */
  set(row: ProfileView): void;
  /** Forgets everything: after a transaction rolled back, its writes are not the file's. */
  clear(): void;
}

/** Creates the profile cache of `db`, holding at most `capacity` rows (default 1,024). */
export function createProfileCache(db: Database.Database, capacity = 1024): ProfileCache {
  const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  const rows = new ProfileMap();
  let seen = dataVersion.get();

  return {
    check() {
      const now = dataVersion.get();
      if (now !== seen) rows.clear();
      seen = now;
    },
    get(kind, id) {
      return rows.get(kind, id);
    },
    set(row) {
      // A map keeps the order rows were set in: deleting first makes this row the newest.
      rows.delete(row);
      rows.set(row);
      if (rows.size > capacity) rows.dropOldest();
    },
    clear() {
      rows.clear();
    },
  };
}
