import type { ChangeLog } from './change-log.js';
import type { GroupCommitOptions } from './group-commit.js';
import { type MirrorState, openPostgresMirrorState, openSqliteMirrorState } from './mirror-state.js';
import type { PostgresConnectOptions } from './postgres/connect.js';
import { openPostgresChangeLog } from './postgres/change-log.js';
import type { RelayState } from './relay-state.js';
import { openPostgresRelayState } from './postgres/relay-state.js';
import { openSqliteRelayState } from './sqlite/relay-state.js';
import { openSqliteChangeLog } from './sqlite/in-thread.js';
import type { Durability } from './sqlite/database.js';
import { checkSqlitePath, parseDatabaseSetting } from './sqlite/path.js';
import { openThreadedSqliteChangeLog } from './sqlite/threaded.js';

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
   * SQLite only: fsync the WAL beside the event loop and checkpoint on a thread (default), as a
   * recorder should; false for a tool that appends little and exits.
   */
  writerThread?: boolean;
  /** How appends are grouped into commits, and when one is refused (defaults as documented there). */
  groupCommit?: GroupCommitOptions;
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

/**
 * Opens the change log the `db` setting names. A setting that cannot name a database throws a
 * `DatabaseSettingError` before anything is created.
 */
export async function openChangeLog(options: OpenChangeLogOptions): Promise<ChangeLog> {
  const target = parseDatabaseSetting(options.db);
  const groupCommit = options.groupCommit ? { groupCommit: options.groupCommit } : {};
  if (target.kind === 'postgres') {
    return openPostgresChangeLog({ ...readPostgresUrl(target.url), ...groupCommit });
  }
  checkSqlitePath(target.path);
  const sqlite = {
    path: target.path,
    ...(options.durability ? { durability: options.durability } : {}),
    ...groupCommit,
  };
  return options.writerThread === false ? openSqliteChangeLog(sqlite) : openThreadedSqliteChangeLog(sqlite);
}

/** Opens the relay's state where the `db` setting keeps the log: beside it, in the same database. */
export async function openRelayState(db: string): Promise<RelayState> {
  const target = parseDatabaseSetting(db);
  if (target.kind === 'postgres') return openPostgresRelayState(readPostgresUrl(target.url));
  return openSqliteRelayState({ path: target.path });
}

/** Opens the mirror's state where the `db` setting keeps the log: beside it, in the same database. */
export async function openMirrorState(db: string): Promise<MirrorState> {
  const target = parseDatabaseSetting(db);
  if (target.kind === 'postgres') return openPostgresMirrorState(readPostgresUrl(target.url));
  return openSqliteMirrorState({ path: target.path });
}
