import type { ChangeLog } from './change-log.js';
import { type MirrorState, openPostgresMirrorState, openSqliteMirrorState } from './mirror-state.js';
import type { PostgresConnectOptions } from './postgres-connect.js';
import { openPostgresChangeLog } from './postgres.js';
import type { RelayState } from './relay-state.js';
import { openPostgresRelayState } from './relay-state-postgres.js';
import { openSqliteRelayState } from './relay-state-sqlite.js';
import { openSqliteChangeLog } from './sqlite.js';
import type { Durability } from './sqlite-database.js';
import { openThreadedSqliteChangeLog } from './sqlite-threaded.js';

/** Where the log lives: a SQLite file path (default), or a `postgres://` URL. */
export interface OpenChangeLogOptions {
  /**
   * A SQLite file (`./data/timhook.db`, or `sqlite:./data/timhook.db`), or a PostgreSQL URL
   * (`postgres://user@host:5432/db`, with `?schema=NAME` to keep timhook's tables in a schema of
   * their own, default `public`).
   */
  db: string;
  /** SQLite only (PostgreSQL's is the server's `synchronous_commit`). */
  durability?: Durability;
  /**
   * SQLite only: commit on a worker thread (default), as a recorder should; false for a tool that
   * appends little and exits.
   */
  writerThread?: boolean;
}

/** True when `db` names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//.test(db);
}

/**
 * Splits `?schema=` off a PostgreSQL URL: postgres.js would send an unknown URL parameter to the
 * server as a setting, which refuses it.
 */
export function readPostgresUrl(db: string): PostgresConnectOptions {
  const url = new URL(db);
  const schema = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  return { url: url.toString(), ...(schema ? { schema } : {}) };
}

function sqlitePathOf(db: string): string {
  return db.startsWith('sqlite:') ? db.slice('sqlite:'.length) : db;
}

/** Opens the change log the `db` setting names. */
export async function openChangeLog(options: OpenChangeLogOptions): Promise<ChangeLog> {
  if (isPostgresUrl(options.db)) return openPostgresChangeLog(readPostgresUrl(options.db));
  const sqlite = {
    path: sqlitePathOf(options.db),
    ...(options.durability ? { durability: options.durability } : {}),
  };
  return options.writerThread === false ? openSqliteChangeLog(sqlite) : openThreadedSqliteChangeLog(sqlite);
}

/** Opens the relay's state where the `db` setting keeps the log: beside it, in the same database. */
export async function openRelayState(db: string): Promise<RelayState> {
  if (isPostgresUrl(db)) return openPostgresRelayState(readPostgresUrl(db));
  return openSqliteRelayState({ path: sqlitePathOf(db) });
}

/** Opens the mirror's state where the `db` setting keeps the log: beside it, in the same database. */
export async function openMirrorState(db: string): Promise<MirrorState> {
  if (isPostgresUrl(db)) return openPostgresMirrorState(readPostgresUrl(db));
  return openSqliteMirrorState({ path: sqlitePathOf(db) });
}
