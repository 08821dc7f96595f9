import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteChangeLog } from '../../src/store/index.js';
import { CHANGES_FUNCTION, defineChangesFunction } from '../../src/store/sqlite/columns.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { C1, G1, groupChanged, T0, T1, topicCreated } from './entries.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'timhook-migrate-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard migration of the SQLite log', () => {
  it('back-fills the search names and the field rows of a log written before it', async () => {
    // A log as this version writes it, copied into a file at the schema before the migration.
    const current = join(dir, 'current.db');
    const log = openSqliteChangeLog({ path: current });
    await log.append([
      await groupChanged(G1, { Name: 'Night Owls', custom: { Level: '1' } }, { at: T0 }),
      await topicCreated(C1, T1, { Name: 'General', Notification: 'hi' }, { at: T0 + 1 }),
      await groupChanged(G1, { Introduction: 'about' }, { at: T0 + 2 }),
    ]);
    await log.close();
    const version = SQLITE_MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE event_fields'));
    expect(version).toBeGreaterThan(0);
    const old = join(dir, 'old.db');
    const db = new Database(old);
    for (const sql of SQLITE_MIGRATIONS.slice(0, version)) db.exec(sql);
    db.pragma(`user_version = ${version}`);
    db.exec(`ATTACH '${current}' AS cur`);
    // A head since version 13 leaves a callback's changes to its body.
    defineChangesFunction(db);
    db.exec(`INSERT INTO events SELECT seq, received_at, event_time, command, kind, sdk_app_id, group_id, topic_id,
      group_type, operator, opt_platform, client_ip,
      ifnull(json_extract(head, '$.changes'), ${CHANGES_FUNCTION}(command, raw)), json_extract(head, '$.diff'),
      json_extract(head, '$.superseded'), raw, dedupe_key FROM cur.events`);
    db.exec(`INSERT INTO profiles SELECT kind, id, group_id, group_type, fields, created_at, destroyed_at, first_seq,
      last_seq, last_changed_at, last_operator, change_count FROM cur.profiles`);
    db.exec('DETACH cur');
    db.close();

    const migrated = openSqliteChangeLog({ path: old });
    try {
      const seqs = async (query: Parameters<typeof migrated.listEvents>[0]) =>
        (await migrated.listEvents(query)).events.map((event) => event.seq);
      expect(await seqs({ limit: 10, search: 'night owls' })).toEqual([1, 3]);
      expect(await seqs({ limit: 10, search: 'general' })).toEqual([2]);
      expect(await seqs({ limit: 10, field: 'Name' })).toEqual([1, 2]);
      expect(await seqs({ limit: 10, field: 'customFields.Level' })).toEqual([1]);
      expect(await seqs({ limit: 10, field: 'Notification' })).toEqual([2]);
      expect(await seqs({ limit: 10, field: 'Introduction' })).toEqual([3]);
      expect(await migrated.countByTime({ since: T0, until: T0 + 60_000, bucketMs: 60_000 })).toEqual([
        { start: T0, count: 3 },
      ]);
    } finally {
      await migrated.close();
    }
  });
});
