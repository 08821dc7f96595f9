/** `timhook/store`: the change log port and its SQLite and PostgreSQL implementations, each with its group commit. */
export type {
  AppendResult,
  ChangeLog,
  CommitListener,
  EventQuery,
  LogEntry,
  ProfileView,
  RecordedEvent,
  RenderedEvent,
  RenderedPage,
} from './change-log.js';
export { QueueOverloadedError } from './group-commit.js';
export type { GroupCommitOptions } from './group-commit.js';
export { nodeDedupeKey, toLogEntry } from './log-entry.js';
export { openPostgresMirrorState, openSqliteMirrorState } from './mirror-state.js';
export type { MirrorState } from './mirror-state.js';
export { isPostgresUrl, openChangeLog, openMirrorState, openRelayState } from './open-change-log.js';
export type { OpenChangeLogOptions } from './open-change-log.js';
export { openPostgresChangeLog } from './postgres/change-log.js';
export type { PostgresOptions } from './postgres/change-log.js';
export { isConnectionLost, PostgresUnavailableError } from './postgres/reserve.js';
export type { DeadLetter, RelayClaim, RelayProgress, RelaySinkState, RelayState } from './relay-state.js';
export { openPostgresRelayState } from './postgres/relay-state.js';
export type { PostgresRelayStateOptions } from './postgres/relay-state.js';
export { openSqliteRelayState } from './sqlite/relay-state.js';
export type { SqliteRelayStateOptions } from './sqlite/relay-state.js';
export { openSqliteChangeLog } from './sqlite/in-thread.js';
export type { Durability, SqliteLogOptions, SqliteOptions } from './sqlite/in-thread.js';
export { openThreadedSqliteChangeLog } from './sqlite/threaded.js';
export { StoreUnavailableError } from './store-health.js';
export type { StoreStatus } from './store-health.js';
export { isEventOfTopic } from './topic-destroys.js';
