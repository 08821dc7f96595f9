import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openSqliteChangeLog, openSqliteRelayState } from '../../src/store/index.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { groupChanged } from '../store/entries.js';
import { describeRelayStateContract } from './relay-state-contract.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'timhook-relay-state-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describeRelayStateContract('SQLite file', async () =>
  openSqliteRelayState({ path: join(dir, 'contract.db') }),
);

it('lives in the change log’s file: whichever opens a new file first migrates it, once, for both', async () => {
  const path = join(dir, 'shared.db');
  const state = openSqliteRelayState({ path });
  await state.ensureSink('orders', 0);
  const log = openSqliteChangeLog({ path });
  await log.append([await groupChanged('@TGS#SHARED', { Name: 'a' })]);
  expect((await state.getSink('orders'))!.cursor).toBe(0);
  await log.close();
  await state.close();

  const db = new Database(path, { readonly: true });
  expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.length);
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .pluck()
    .all();
  expect(tables).toEqual(expect.arrayContaining(['events', 'profiles', 'relay_dead_letters', 'relay_sinks']));
  db.close();
});

it('refuses a database written by a newer timhook', () => {
  const path = join(dir, 'newer.db');
  const db = new Database(path);
  db.pragma(`user_version = ${SQLITE_MIGRATIONS.length + 1}`);
  db.close();
  expect(() => openSqliteRelayState({ path })).toThrow(/newer than this timhook knows/);
});
