/** `timhook/store`: the change log port, its SQLite and PostgreSQL implementations, and group commit. */
export * from './change-log.js';
export * from './commit-queue.js';
export * from './database-setting-error.js';
export * from './log-entry.js';
export * from './mirror-state.js';
export * from './open-change-log.js';
export * from './postgres/change-log.js';
export { isConnectionLost, PostgresUnavailableError } from './postgres/reserve.js';
export * from './project-entry.js';
export * from './relay-state.js';
export * from './postgres/relay-state.js';
export * from './sqlite/relay-state.js';
export * from './sqlite/in-thread.js';
export * from './sqlite/threaded.js';
export * from './store-health.js';
export { isEventOfTopic } from './topic-destroys.js';
