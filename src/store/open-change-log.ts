import type { ChangeLog } from './change-log.js';
import { type Durability, openSqliteChangeLog } from './sqlite.js';

/** Where the log lives: a SQLite file path (default), or a `postgres://` URL. */
export interface OpenChangeLogOptions {
  db: string;
  durability?: Durability;
}

/** Opens the change log the `db` setting names. */
export async function openChangeLog(options: OpenChangeLogOptions): Promise<ChangeLog> {
  if (/^postgres(ql)?:\/\//.test(options.db)) {
    throw new Error('PostgreSQL is not supported yet: use a SQLite file path for --db');
  }
  const path = options.db.startsWith('sqlite:') ? options.db.slice('sqlite:'.length) : options.db;
  return openSqliteChangeLog({ path, ...(options.durability ? { durability: options.durability } : {}) });
}
