/**
 * The SQLite schema, one entry per version; `PRAGMA user_version` says how many have run. Append
 * new versions at the end; never edit one that has shipped.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     seq          INTEGER PRIMARY KEY,
     received_at  INTEGER NOT NULL,
     event_time   INTEGER,
     command      TEXT NOT NULL,
     kind         TEXT NOT NULL,
     sdk_app_id   TEXT NOT NULL,
     group_id     TEXT,
     topic_id     TEXT,
     group_type   TEXT,
     operator     TEXT,
     opt_platform TEXT,
     client_ip    TEXT,
     changes      TEXT NOT NULL,
     diff         TEXT NOT NULL,
     superseded   TEXT,
     raw          TEXT NOT NULL,
     dedupe_key   TEXT NOT NULL UNIQUE
   );
   CREATE INDEX events_group ON events (group_id, seq);
   CREATE INDEX events_topic ON events (topic_id, seq);
   CREATE TABLE profiles (
     kind            TEXT NOT NULL,
     id              TEXT NOT NULL,
     group_id        TEXT NOT NULL,
     group_type      TEXT,
     fields          TEXT NOT NULL,
     created_at      INTEGER,
     destroyed_at    INTEGER,
     first_seq       INTEGER NOT NULL,
     last_seq        INTEGER NOT NULL,
     last_changed_at INTEGER NOT NULL,
     last_operator   TEXT,
     change_count    INTEGER NOT NULL,
     PRIMARY KEY (kind, id)
   );
   CREATE INDEX profiles_recent ON profiles (kind, last_seq);
   CREATE INDEX profiles_group ON profiles (group_id, kind, last_seq);`,
];
