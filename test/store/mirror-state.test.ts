import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REST_COMMANDS } from '../../src/server/mirror/rest-entry.js';
import { toRestEntry } from '../../src/server/mirror/rest-entry.js';
import {
  type ChangeLog,
  type MirrorState,
  openPostgresChangeLog,
  openPostgresMirrorState,
  openSqliteChangeLog,
  openSqliteMirrorState,
} from '../../src/store/index.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { APP_ID, G1, groupChanged, T0 } from './entries.js';
import { usePostgres } from './postgres-support.js';

const pg = usePostgres();
let dir: string;
const opened: Array<{ close(): Promise<void> }> = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'timhook-mirror-state-'));
});
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What the REST API said of G1, asked at `requestedAt`. */
function snapshotOfG1(requestedAt: number, receivedAt: number, name: string) {
  return toRestEntry({
    command: REST_COMMANDS.snapshot,
    kind: 'group',
    sdkAppId: APP_ID,
    groupId: G1,
    topicId: null,
    groupType: 'Public',
    changes: { Name: name, Introduction: 'from the API', Notification: '', FaceUrl: '' },
    requestedAt,
    receivedAt,
    api: 'group_open_http_svc/get_group_info',
    answer: { GroupId: G1, Name: name },
  });
}

const stores: Array<[string, () => Promise<{ log: ChangeLog; state: MirrorState }>]> = [
  [
    'SQLite',
    async () => {
      const path = join(dir, 'log.db');
      const log = openSqliteChangeLog({ path });
      const state = openSqliteMirrorState({ path });
      opened.push(log, state);
      return { log, state };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const schema = pg.freshSchema();
      const log = pg.track(await openPostgresChangeLog({ url: pg.url, schema, max: 2 }));
      const state = pg.track(await openPostgresMirrorState({ url: pg.url, schema }));
      return { log, state };
    },
  ],
];

describe.each(stores)('the mirror on %s', (_name, open) => {
  it('keeps a pass document across opens of the state, beside the change log', async () => {
    const { state } = await open();
    expect(await state.read('reconcile-pass')).toBeNull();
    await state.write('reconcile-pass', { id: 'pass-1', pageCursor: '0', pageDone: 150 });
    await state.write('reconcile-pass', { id: 'pass-1', pageCursor: '0', pageDone: 200 });
    expect(await state.read('reconcile-pass')).toEqual({ id: 'pass-1', pageCursor: '0', pageDone: 200 });
  });

  it('records a snapshot as of its request time: a callback with a newer EventTime keeps its field', async () => {
    const { log } = await open();
    await log.append([
      await groupChanged(G1, { Name: 'newer, by callback' }, { at: T0 + 50, eventTime: T0 + 40 }),
    ]);
    const [result] = await log.append([snapshotOfG1(T0 + 10, T0 + 60, 'older, from the API')]);
    const profile = await log.getProfile('group', G1);
    expect(profile?.fields.Name?.value).toBe('newer, by callback');
    expect(profile?.fields.Introduction?.value).toBe('from the API');
    expect(result?.duplicate === false && result.event.superseded).toEqual(['Name']);
    expect(result?.duplicate === false && result.event.operator).toBeNull();
  });

  it('keeps the field of a callback without EventTime that arrived after the request was sent', async () => {
    const { log } = await open();
    await log.append([await groupChanged(G1, { Name: 'arrived during the call' }, { at: T0 + 20 })]);
    await log.append([snapshotOfG1(T0 + 10, T0 + 30, 'before the change')]);
    expect((await log.getProfile('group', G1))?.fields.Name?.value).toBe('arrived during the call');
  });

  it('lets a snapshot win over an older callback, which then loses when it arrives late', async () => {
    const { log } = await open();
    await log.append([await groupChanged(G1, { Name: 'old' }, { at: T0, eventTime: T0 })]);
    await log.append([snapshotOfG1(T0 + 10, T0 + 20, 'from the API')]);
    const [late] = await log.append([
      await groupChanged(G1, { Name: 'late' }, { at: T0 + 30, eventTime: T0 + 5 }),
    ]);
    expect((await log.getProfile('group', G1))?.fields.Name?.value).toBe('from the API');
    expect(late?.duplicate === false && late.event.superseded).toEqual(['Name']);
  });
});

it('migrates an existing SQLite file of the version before mirror_state to one with it', async () => {
  const path = join(dir, 'old.db');
  const db = new Database(path);
  const version = SQLITE_MIGRATIONS.findIndex((step) => step.includes('CREATE TABLE mirror_state'));
  expect(version).toBeGreaterThan(0);
  for (const step of SQLITE_MIGRATIONS.slice(0, version)) db.exec(step);
  db.pragma(`user_version = ${version}`);
  db.close();
  const state = openSqliteMirrorState({ path });
  opened.push(state);
  await state.write('reconcile-pass', { id: 'p' });
  const check = new Database(path, { readonly: true });
  expect(check.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.length);
  expect(check.prepare('SELECT name FROM mirror_state').all()).toEqual([{ name: 'reconcile-pass' }]);
  check.close();
});

it('migrates an existing PostgreSQL schema of the version before mirror_state to one with it', async () => {
  const schema = pg.freshSchema();
  const sql = pg.admin();
  await sql.unsafe(`CREATE SCHEMA "${schema}"`);
  const version = POSTGRES_MIGRATIONS.findIndex((step) => step.includes('CREATE TABLE mirror_state'));
  expect(version).toBeGreaterThan(0);
  await sql.begin(async (tx) => {
    await tx.unsafe(`SET LOCAL search_path TO "${schema}"`);
    for (const step of POSTGRES_MIGRATIONS.slice(0, version)) await tx.unsafe(step).simple();
    await tx.unsafe('CREATE TABLE timhook_schema_version (version integer NOT NULL)');
    await tx.unsafe(`INSERT INTO timhook_schema_version VALUES (${version})`);
  });
  const state = pg.track(await openPostgresMirrorState({ url: pg.url, schema }));
  await state.write('reconcile-pass', { id: 'p' });
  const [upgraded] = await sql.unsafe(`SELECT version FROM "${schema}".timhook_schema_version`);
  expect(upgraded?.version).toBe(POSTGRES_MIGRATIONS.length);
  expect(await sql.unsafe(`SELECT name FROM "${schema}".mirror_state`)).toEqual([{ name: 'reconcile-pass' }]);
});
