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
  // Relay state: one row per sink, its dead letters. See store/relay-state.ts.
  `CREATE TABLE relay_sinks (
     sink              TEXT PRIMARY KEY,
     cursor            INTEGER NOT NULL,
     epoch             INTEGER NOT NULL DEFAULT 0,
     disabled_at       INTEGER,
     disabled_reason   TEXT,
     last_error        TEXT,
     last_error_at     INTEGER,
     last_delivered_at INTEGER,
     delivered         INTEGER NOT NULL DEFAULT 0,
     lease_owner       TEXT,
     lease_expires_at  INTEGER,
     created_at        INTEGER NOT NULL
   );
   CREATE TABLE relay_dead_letters (
     sink            TEXT NOT NULL,
     seq             INTEGER NOT NULL,
     attempts        INTEGER NOT NULL,
     error           TEXT NOT NULL,
     first_failed_at INTEGER NOT NULL,
     failed_at       INTEGER NOT NULL,
     redrive         INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (sink, seq)
   );`,
  // Dashboard search and field filter (EventQuery.search, EventQuery.field): each profile's current
  // Name lower-cased, and one row per field each callback carried. The back-fill lower-cases with
  // SQLite's lower() (ASCII only); rows written since use JavaScript's, as every store does.
  `ALTER TABLE profiles ADD COLUMN name_key TEXT;
   UPDATE profiles SET name_key = lower(json_extract(fields, '$.Name.value'));
   CREATE TABLE event_fields (
     seq   INTEGER NOT NULL,
     field TEXT NOT NULL,
     PRIMARY KEY (seq, field)
   ) WITHOUT ROWID;
   INSERT INTO event_fields (seq, field)
     SELECT e.seq, j.key FROM events e, json_each(e.changes) j WHERE j.key <> 'customFields'
     UNION
     SELECT e.seq, 'customFields.' || j.key FROM events e, json_each(e.changes, '$.customFields') j;`,
  // Callbacks per minute (ChangeLog.countByTime) reads a time range of arrivals.
  `CREATE INDEX events_received ON events (received_at);`,
  // The event's API JSON without its body (rows.ts renderHead), written at append so that reads
  // send it as is. Rows logged before this version have none and are rendered from their columns.
  `ALTER TABLE events ADD COLUMN head TEXT;`,
  // A TopicDestroyed of several topics is logged against their community, with no topic: a topic's
  // history finds it here (store/topic-destroys.ts). Only those events are indexed.
  `CREATE INDEX events_topic_destroys ON events (group_id, seq)
     WHERE topic_id IS NULL AND command = 'Group.CallbackAfterTopicDestroyed';`,
  // The mirror's reconciliation pass (server/mirror): its progress, so a pass resumes after a restart.
  `CREATE TABLE mirror_state (
     name       TEXT PRIMARY KEY,
     state      TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );`,
  // The lean log (docs/performance.md): fewer B-tree pages per event. The dedupe key is found by
  // an integer (sqlite/dedupe-hash.ts; the whole key is compared on a match) instead of a unique
  // index of 64-character text; the event's JSON is no longer stored beside its columns (a copy of
  // changes and diff): it is joined from them on read, `raw_inline` saying whether the body is
  // spliced in as it is (one line of JSON). Topics' history is indexed for topic events only,
  // and the profiles of a community's topics for topics only. SQLite cannot drop a UNIQUE
  // constraint: the table is built again.
  `CREATE TABLE events_lean (
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
     raw_inline   INTEGER NOT NULL,
     dedupe_key   TEXT NOT NULL,
     dedupe_hash  INTEGER NOT NULL
   );
   INSERT INTO events_lean
     SELECT seq, received_at, event_time, command, kind, sdk_app_id, group_id, topic_id, group_type,
       operator, opt_platform, client_ip, changes, diff, superseded, raw, head IS NOT NULL, dedupe_key,
       timhook_dedupe_hash(dedupe_key)
     FROM events ORDER BY seq;
   DROP TABLE events;
   ALTER TABLE events_lean RENAME TO events;
   CREATE INDEX events_dedupe ON events (dedupe_hash);
   CREATE INDEX events_group ON events (group_id, seq);
   CREATE INDEX events_topic ON events (topic_id, seq) WHERE topic_id IS NOT NULL;
   CREATE INDEX events_received ON events (received_at);
   CREATE INDEX events_topic_destroys ON events (group_id, seq)
     WHERE topic_id IS NULL AND command = 'Group.CallbackAfterTopicDestroyed';
   DROP INDEX profiles_group;
   CREATE INDEX profiles_topics ON profiles (group_id, last_seq) WHERE kind = 'topic';`,
  // The event's JSON without its body, its head (rows.ts headWithColumns), in place of `changes`,
  // `diff` and `superseded`, which it holds: a read joins head and body, two columns, instead of
  // rendering sixteen (what a relay spends most per event on). The head is joined here as the
  // recorder joins it: json_quote escapes text as JSON.stringify does (test/store/change-log-contract.ts).
  `CREATE TABLE events_head (
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
     head         TEXT NOT NULL,
     raw          TEXT NOT NULL,
     raw_inline   INTEGER NOT NULL,
     dedupe_key   TEXT NOT NULL,
     dedupe_hash  INTEGER NOT NULL
   );
   INSERT INTO events_head
     SELECT seq, received_at, event_time, command, kind, sdk_app_id, group_id, topic_id, group_type,
       operator, opt_platform, client_ip,
       '{"seq":' || seq || ',"receivedAt":' || received_at || ',"eventTime":' || ifnull(event_time, 'null') ||
       ',"command":' || json_quote(command) || ',"kind":' || json_quote(kind) ||
       ',"sdkAppId":' || json_quote(sdk_app_id) || ',"groupId":' || json_quote(group_id) ||
       ',"topicId":' || json_quote(topic_id) || ',"groupType":' || json_quote(group_type) ||
       ',"operator":' || json_quote(operator) || ',"optPlatform":' || json_quote(opt_platform) ||
       ',"clientIp":' || json_quote(client_ip) || ',"changes":' || changes || ',"diff":' || diff ||
       ifnull(',"superseded":' || superseded, '') || '}',
       raw, raw_inline, dedupe_key, dedupe_hash
     FROM events ORDER BY seq;
   DROP TABLE events;
   ALTER TABLE events_head RENAME TO events;
   CREATE INDEX events_dedupe ON events (dedupe_hash);
   CREATE INDEX events_group ON events (group_id, seq);
   CREATE INDEX events_topic ON events (topic_id, seq) WHERE topic_id IS NOT NULL;
   CREATE INDEX events_received ON events (received_at);
   CREATE INDEX events_topic_destroys ON events (group_id, seq)
     WHERE topic_id IS NULL AND command = 'Group.CallbackAfterTopicDestroyed';`,
  // What each event adds beside its row is written in bulk behind the OK (sqlite/deferred-writes.ts):
  // the profiles, the dedupe keys, a group's events and the field index. The keys and the group's
  // events leave the indexes of `events` (a page at random per event and index, in every commit)
  // for tables of their own, filled from the rows' columns. `projected` says through which seq the
  // profiles (`through`) and those three tables (`indexed`) hold every event. What an event does to profiles is kept in its row
  // (`effect` when not a change, the `topic_ids` a destroy closes), so that the events past
  // `through` are projected again from the file after a crash. Every event logged before this
  // version is projected and indexed already.
  `ALTER TABLE events ADD COLUMN effect TEXT;
   ALTER TABLE events ADD COLUMN topic_ids TEXT;
   CREATE TABLE event_keys (
     dedupe_hash INTEGER NOT NULL,
     event_seq   INTEGER NOT NULL,
     PRIMARY KEY (dedupe_hash, event_seq)
   ) WITHOUT ROWID;
   INSERT INTO event_keys SELECT dedupe_hash, seq FROM events;
   DROP INDEX events_dedupe;
   CREATE TABLE group_events (
     group_key TEXT NOT NULL,
     event_seq INTEGER NOT NULL,
     PRIMARY KEY (group_key, event_seq)
   ) WITHOUT ROWID;
   INSERT INTO group_events SELECT group_id, seq FROM events WHERE group_id IS NOT NULL;
   DROP INDEX events_group;
   CREATE TABLE projected (
     one     INTEGER PRIMARY KEY CHECK (one = 1),
     through INTEGER NOT NULL,
     indexed INTEGER NOT NULL
   );
   INSERT INTO projected SELECT 1, ifnull(max(seq), 0), ifnull(max(seq), 0) FROM events;`,
  // An event's row keeps only the part of its head that its columns do not hold: `changes`, `diff`
  // and `superseded` (rows.ts storedHead), a third of the row's bytes and so of each commit and
  // checkpoint. A read joins the rest from the columns (sqlite/columns.ts HEAD_SQL). Rows logged
  // before keep their whole head, which reads the same: nothing is rewritten. The version says
  // that a build which would send a short head as it is (an older one) must not open the file.
  `-- no table changes: the heads of the rows logged from now on are shorter`,
  // The field filter reads the `changes` each row's head holds (sqlite/field-match.ts): the field
  // index, seven or so rows per callback written behind the OK, goes.
  `DROP TABLE event_fields;`,
  // A callback's row leaves out the `changes` its body holds (store/body-changes.ts): its head
  // starts `{"diff":`, and a read puts them back from `raw` (sqlite/columns.ts). The largest
  // part of the head, about a fifth of the row's bytes, is not written twice. Rows logged before
  // keep their changes and read as they did: nothing is rewritten. The version says that a build
  // which would read a head without changes as it is (an older one) must not open the file.
  `-- no table changes: the heads of the callbacks logged from now on leave out their changes`,
];
