import { APPEND_FUNCTION } from './append-function.js';
import { type PostgresPool, quoteIdentifier } from './connect.js';

/**
 * The PostgreSQL schema, one entry per version; `timhook_schema_version` says how many have run.
 * Append new versions at the end; never edit one that has shipped. The same tables as SQLite's
 * (`sqlite/migrations.ts`, all its versions), with `bigint` for seqs and ms times and `text` for
 * JSON: rendered JSON (`head`, `raw`) is sent as it was written, never re-serialised by jsonb.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     seq          bigint PRIMARY KEY,
     received_at  bigint NOT NULL,
     event_time   bigint,
     command      text NOT NULL,
     kind         text NOT NULL,
     sdk_app_id   text NOT NULL,
     group_id     text,
     topic_id     text,
     group_type   text,
     operator     text,
     opt_platform text,
     client_ip    text,
     changes      text NOT NULL,
     diff         text NOT NULL,
     superseded   text,
     raw          text NOT NULL,
     dedupe_key   text NOT NULL UNIQUE,
     head         text
   );
   CREATE INDEX events_group ON events (group_id, seq);
   CREATE INDEX events_topic ON events (topic_id, seq);
   CREATE INDEX events_received ON events (received_at);
   CREATE TABLE event_fields (
     seq   bigint NOT NULL,
     field text NOT NULL,
     PRIMARY KEY (seq, field)
   );
   CREATE TABLE profiles (
     kind            text NOT NULL,
     id              text NOT NULL,
     group_id        text NOT NULL,
     group_type      text,
     fields          text NOT NULL,
     created_at      bigint,
     destroyed_at    bigint,
     first_seq       bigint NOT NULL,
     last_seq        bigint NOT NULL,
     last_changed_at bigint NOT NULL,
     last_operator   text,
     change_count    bigint NOT NULL,
     name_key        text,
     PRIMARY KEY (kind, id)
   );
   CREATE INDEX profiles_recent ON profiles (kind, last_seq);
   CREATE INDEX profiles_group ON profiles (group_id, kind, last_seq);
   CREATE TABLE relay_sinks (
     sink              text PRIMARY KEY,
     cursor            bigint NOT NULL,
     epoch             bigint NOT NULL DEFAULT 0,
     disabled_at       bigint,
     disabled_reason   text,
     last_error        text,
     last_error_at     bigint,
     last_delivered_at bigint,
     delivered         bigint NOT NULL DEFAULT 0,
     lease_owner       text,
     lease_expires_at  bigint,
     created_at        bigint NOT NULL
   );
   CREATE TABLE relay_dead_letters (
     sink            text NOT NULL,
     seq             bigint NOT NULL,
     attempts        bigint NOT NULL,
     error           text NOT NULL,
     first_failed_at bigint NOT NULL,
     failed_at       bigint NOT NULL,
     redrive         boolean NOT NULL DEFAULT false,
     PRIMARY KEY (sink, seq)
   );`,
  // 2: appends are planned in the client and written by one call (postgres/append.ts).
  APPEND_FUNCTION,
  // As SQLite's version 6: a topic's history finds the TopicDestroyed of several topics that closed
  // it (store/topic-destroys.ts). Only those events are indexed.
  `CREATE INDEX events_topic_destroys ON events (group_id, seq)
     WHERE topic_id IS NULL AND command = 'Group.CallbackAfterTopicDestroyed';`,
  // As SQLite's version 7: the mirror's reconciliation pass state (server/mirror).
  `CREATE TABLE mirror_state (
     name       text PRIMARY KEY,
     state      text NOT NULL,
     updated_at bigint NOT NULL
   );`,
];

/**
 * The first key of timhook's advisory locks (two-key form; the second is the schema's hash), so
 * that they do not collide with an application's own on a shared database. "timh" in ASCII.
 */
export const ADVISORY_LOCK_SPACE = 0x74696d68;

/** The lock migrations take; the change log's appends take {@link APPEND_LOCK}. */
const MIGRATE_LOCK = ADVISORY_LOCK_SPACE;

/** The lock every append takes (see postgres/append.ts). */
export const APPEND_LOCK = ADVISORY_LOCK_SPACE + 1;

/**
 * Creates `schema` and brings its tables up to date. Safe when several instances start at once:
 * all of it runs in one transaction under an advisory lock, so the first migrates and
 * the others, waiting on the lock, then find the work done.
 */
export async function migratePostgres(sql: PostgresPool, schema: string): Promise<void> {
  const known = POSTGRES_MIGRATIONS.length;
  // READ COMMITTED, so that what follows the lock sees the work of whoever held it before.
  await sql.begin('isolation level read committed', async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATE_LOCK}, hashtext(${schema}))`;
    // Checked before creating: CREATE … IF NOT EXISTS still needs the privilege to create, which a
    // deployment running on a schema made for it by its DBA need not have.
    const [present] = await tx`SELECT 1 FROM pg_namespace WHERE nspname = ${schema}`;
    if (!present) await tx.unsafe(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
    const [table] = await tx<Array<{ found: string | null }>>`
      SELECT to_regclass(${`${quoteIdentifier(schema)}.timhook_schema_version`})::text AS found`;
    if (!table?.found) {
      await tx`CREATE TABLE timhook_schema_version (version integer NOT NULL)`;
      await tx`INSERT INTO timhook_schema_version (version) VALUES (0)`;
    }
    const [row] = await tx<Array<{ version: number }>>`SELECT version FROM timhook_schema_version`;
    const current = row?.version ?? 0;
    if (current > known) {
      throw new Error(
        `the database is at schema version ${current}, newer than this timhook knows (${known}): upgrade timhook`,
      );
    }
    for (let version = current; version < known; version++) {
      await tx.unsafe(POSTGRES_MIGRATIONS[version]!).simple();
    }
    if (current < known) await tx`UPDATE timhook_schema_version SET version = ${known}`;
  });
}
