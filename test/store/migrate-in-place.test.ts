import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ChangeLog,
  type MirrorState,
  openChangeLog,
  openMirrorState,
  openRelayState,
  type RelayState,
} from '../../src/store/index.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { createCleanups, sendNamed, startRecorder, tempDir } from '../faults/support.js';
import { readSeed } from '../fixtures/seeds.js';
import { captureAnswers, type StoreAnswers } from '../fixtures/stores/capture-answers.mjs';
import { groupChanged, seedEntry, T0 } from './entries.js';
import { usePostgres } from './postgres-support.js';

/**
 * Stores written by earlier releases (test/fixtures/stores/make-fixtures.mjs), opened by this code:
 * the migrations upgrade them in place, and every answer the release gave about them is given
 * again. One test per fixture file, so the fixture of each release keeps being upgraded.
 */
const FIXTURES = new URL('../fixtures/stores/', import.meta.url).pathname;
const fixtures = readdirSync(FIXTURES)
  .map((name) => /^(sqlite|postgres)-v(\d+)\.(db|sql)$/.exec(name))
  .filter((match) => match !== null)
  .map(([file, engine, version]) => ({ file: file!, engine: engine as 'sqlite' | 'postgres', version }));

/** The mirror documents the fixtures hold (test/fixtures/stores/fixture-content.mjs). */
const MIRROR_NAMES = ['reconcile-pass', 'fixture-note'];
/** The fixtures' public group, whose seed sample was logged as event 5 and re-delivered. */
const PUBLIC = '@TGS#2J4SZEAEL';

/**
 * What an upgrade may change in an answer, and nothing else: a property that today's release (the
 * one the v7/v4 fixtures were made with) does not have may be added to an event, a rendered
 * event, a profile, a field's state, a sink or a dead letter; and `stats.bytes`, the store's size,
 * may differ. Every property listed here must keep its value; pages, `changes`, `diff`, `raw`,
 * rate buckets and mirror documents must be equal as they are.
 */
const TODAYS_PROPERTIES = {
  event: [
    'seq',
    'receivedAt',
    'eventTime',
    'command',
    'kind',
    'sdkAppId',
    'groupId',
    'topicId',
    'groupType',
    'operator',
    'optPlatform',
    'clientIp',
    'changes',
    'diff',
    'superseded',
    'duplicateOf',
    'raw',
  ],
  rendered: ['seq', 'receivedAt', 'command', 'kind', 'groupId', 'topicId', 'json', 'raw'],
  profile: [
    'kind',
    'id',
    'groupId',
    'groupType',
    'fields',
    'createdAt',
    'destroyedAt',
    'firstSeq',
    'lastSeq',
    'lastChangedAt',
    'lastOperator',
    'changeCount',
  ],
  field: ['value', 'eventTime', 'changedAt', 'operator', 'seq'],
  sink: [
    'sink',
    'cursor',
    'epoch',
    'disabledAt',
    'disabledReason',
    'lastError',
    'lastErrorAt',
    'lastDeliveredAt',
    'delivered',
    'deadLetters',
    'redrivePending',
    'leaseOwner',
    'leaseExpiresAt',
  ],
  deadLetter: ['seq', 'attempts', 'error', 'firstFailedAt', 'failedAt', 'redrive'],
} as const;

type Json = Record<string, unknown>;

/** `value` with only the properties of `known`: what a later release added is left out. */
function todays(value: unknown, known: readonly string[]): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => known.includes(key)));
}

function todaysEvent(value: unknown): unknown {
  return typeof value === 'object' ? todays(value, TODAYS_PROPERTIES.event) : value;
}

/** A rendered event with its `json` parsed: its text may order or space its properties otherwise. */
function todaysRendered(value: unknown, strip: boolean): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const rendered = (strip ? todays(value, TODAYS_PROPERTIES.rendered) : value) as Json;
  const json = JSON.parse(rendered.json as string) as unknown;
  return { ...rendered, json: strip ? todaysEvent(json) : json };
}

function todaysProfile(value: unknown): unknown {
  if (value === null) return null;
  const profile = todays(value, TODAYS_PROPERTIES.profile) as Json;
  const fields = Object.entries(profile.fields as Json).map(([name, state]) => [
    name,
    todays(state, TODAYS_PROPERTIES.field),
  ]);
  return { ...profile, fields: Object.fromEntries(fields) };
}

function todaysRelay(relay: Json): Json {
  return Object.fromEntries(
    Object.entries(relay).map(([name, value]) => {
      if (name === 'sinks') return [name, (value as unknown[]).map((s) => todays(s, TODAYS_PROPERTIES.sink))];
      if (name.startsWith('sink ')) return [name, todays(value, TODAYS_PROPERTIES.sink)];
      if (name.startsWith('dead letters ')) {
        return [name, (value as unknown[]).map((letter) => todays(letter, TODAYS_PROPERTIES.deadLetter))];
      }
      return [name, value];
    }),
  );
}

/**
 * Profiles in the list's order, most recently changed first, and by id among those of one `lastSeq`
 * (the topics one TopicDestroyed closed), whose order the list leaves to the database.
 */
function byLastSeq(items: unknown[]): unknown[] {
  const key = (item: unknown) => item as { lastSeq: number; id: string };
  return [...items].sort((a, b) => key(b).lastSeq - key(a).lastSeq || key(a).id.localeCompare(key(b).id));
}

type Pages = Array<{ events: unknown[]; next: number | null }>;
const mapPages = (pages: Pages, map: (event: unknown) => unknown): Pages =>
  pages.map((page) => ({ ...page, events: page.events.map(map) }));
const mapValues = <T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));

/**
 * Compares every answer of the upgraded store with the release's, section by section (so that a
 * failure names its section), allowing only {@link TODAYS_PROPERTIES}' additions.
 */
function expectSameAnswers(actualAnswers: StoreAnswers, expected: StoreAnswers): void {
  // As the API would send it: JSON, without undefined properties.
  const actual = JSON.parse(JSON.stringify(actualAnswers)) as StoreAnswers;
  expect(actual.stats.bytes).toBeGreaterThan(0);
  expect({ ...actual.stats, bytes: expected.stats.bytes }).toEqual(expected.stats);
  expect(actual.ids).toEqual(expected.ids);
  expect(mapValues(actual.events, (pages) => mapPages(pages, todaysEvent))).toEqual(expected.events);
  expect(
    mapValues(actual.rendered, (pages) => mapPages(pages, (event) => todaysRendered(event, true))),
  ).toEqual(
    mapValues(expected.rendered, (pages) => mapPages(pages, (event) => todaysRendered(event, false))),
  );
  expect(mapValues(actual.profiles, todaysProfile)).toEqual(expected.profiles);
  const inListOrder = (pages: Array<{ items: unknown[]; next: number | null }>, strip: boolean) =>
    pages.map((page) => ({ ...page, items: byLastSeq(strip ? page.items.map(todaysProfile) : page.items) }));
  expect(mapValues(actual.profileLists, (pages) => inListOrder(pages, true))).toEqual(
    mapValues(expected.profileLists, (pages) => inListOrder(pages, false)),
  );
  expect(actual.rates).toEqual(expected.rates);
  expect(todaysRelay(actual.relay)).toEqual(expected.relay);
  expect(actual.mirror).toEqual(expected.mirror);
}

function readExpected(file: string): StoreAnswers & { version: number; schema?: string } {
  const name = file.replace(/\.(db|sql)$/, '.expected.json');
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as StoreAnswers & {
    version: number;
    schema?: string;
  };
}

/**
 * Appends after the upgrade: a new change lands right after the last logged event, a re-delivery
 * of a logged callback is still recognised as a duplicate of it, and the profile moves on from
 * where the release left it.
 */
async function expectAppendsAfter(log: ChangeLog, expected: StoreAnswers): Promise<void> {
  const { lastSeq, events } = expected.stats;
  const firstBasic = expected.rendered['all ascending']!.flatMap((page) => page.events as Json[]).find(
    (event) => event.raw === readSeed('group-info-changed-basic'),
  );
  expect(firstBasic).toBeDefined();
  const [again] = await log.append([await seedEntry('group-info-changed-basic', { at: T0 + 900_000 })]);
  expect(again).toEqual({ seq: firstBasic!.seq, duplicate: true });

  const at = T0 + 1_000_000;
  const [added] = await log.append([
    await groupChanged(PUBLIC, { Name: 'after the upgrade' }, { at, eventTime: at }),
  ]);
  expect(added).toMatchObject({ seq: lastSeq + 1, duplicate: false });

  const tail = await log.listEvents({ after: lastSeq, limit: 10 });
  expect(tail.events).toHaveLength(1);
  expect(tail.events[0]).toMatchObject({
    seq: lastSeq + 1,
    groupId: PUBLIC,
    changes: { Name: 'after the upgrade' },
    diff: [{ field: 'Name', from: 'Public lobby v2', to: 'after the upgrade' }],
  });
  const before = expected.profiles[`group ${PUBLIC}`] as Json & { fields: Json; changeCount: number };
  const profile = await log.getProfile('group', PUBLIC);
  expect(profile).toMatchObject({ lastSeq: lastSeq + 1, changeCount: before.changeCount + 1 });
  expect(todaysProfile(profile)).toEqual(
    todaysProfile({
      ...before,
      ...profile,
      fields: { ...before.fields, Name: profile!.fields.Name },
    }),
  );
  expect(profile!.fields.Name).toMatchObject({ value: 'after the upgrade', seq: lastSeq + 1 });
  expect(await log.stats()).toMatchObject({ events: events + 1, lastSeq: lastSeq + 1 });
}

/** Every event through the recorder's API, page by page. */
async function apiEvents(base: string): Promise<Json[]> {
  const events: Json[] = [];
  let after = 0;
  for (;;) {
    const response = await fetch(`${base}/api/events?after=${after}&limit=7`);
    const page = (await response.json()) as { events: Json[]; next: number | null };
    events.push(...page.events);
    if (page.next === null) return events;
    after = page.next;
  }
}

const cleanups = createCleanups();
afterEach(() => cleanups.run());
const pg = usePostgres();

/** The fixture, copied to a fresh place: a SQLite file, or a PostgreSQL schema restored from the dump. */
async function restore(fixture: (typeof fixtures)[number]): Promise<string> {
  if (fixture.engine === 'sqlite') {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const path = join(dir.path, 'timhook.db');
    copyFileSync(join(FIXTURES, fixture.file), path);
    return path;
  }
  const { schema: madeIn } = readExpected(fixture.file);
  const schema = pg.freshSchema();
  // psql's meta-commands (\restrict) are not SQL; the schema gets a name of its own.
  const dump = readFileSync(join(FIXTURES, fixture.file), 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('\\'))
    .join('\n')
    .replaceAll(madeIn!, schema);
  // A connection of its own: the dump sets the session's search_path.
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(dump).simple();
  } finally {
    await sql.end({ timeout: 5 });
  }
  return `${pg.url}?schema=${schema}`;
}

async function openStores(db: string, engine: 'sqlite' | 'postgres') {
  const log = await openChangeLog(engine === 'sqlite' ? { db, writerThread: false } : { db });
  const relay: RelayState = await openRelayState(db);
  const mirror: MirrorState = await openMirrorState(db);
  const close = () => Promise.all([relay.close(), mirror.close(), log.close()]);
  cleanups.push(close);
  return { log, relay, mirror };
}

async function schemaVersion(db: string, engine: 'sqlite' | 'postgres'): Promise<number> {
  if (engine === 'sqlite') {
    const file = new Database(db, { readonly: true });
    try {
      return file.pragma('user_version', { simple: true }) as number;
    } finally {
      file.close();
    }
  }
  const schema = new URL(db).searchParams.get('schema')!;
  const [row] = await pg
    .admin()
    .unsafe<Array<{ version: number }>>(`SELECT version FROM "${schema}".timhook_schema_version`);
  return row!.version;
}

it('finds a SQLite and a PostgreSQL fixture of the schema versions this code was started from', () => {
  expect(fixtures.map((fixture) => fixture.file)).toEqual(
    expect.arrayContaining(['sqlite-v7.db', 'sqlite-v12.db', 'postgres-v4.sql']),
  );
});

describe.each(fixtures)('$file', (fixture) => {
  it('is upgraded in place and gives every answer the release gave, then takes new events after its last', async () => {
    const expected = readExpected(fixture.file);
    const db = await restore(fixture);
    expect(await schemaVersion(db, fixture.engine)).toBe(expected.version);

    const stores = await openStores(db, fixture.engine);
    const latest = fixture.engine === 'sqlite' ? SQLITE_MIGRATIONS.length : POSTGRES_MIGRATIONS.length;
    expect(await schemaVersion(db, fixture.engine)).toBe(latest);
    expectSameAnswers(
      await captureAnswers({ ...stores, mirrorNames: MIRROR_NAMES, ids: expected.ids }),
      expected,
    );
    await expectAppendsAfter(stores.log, expected);
  });

  it('is served by `timhook serve` after the upgrade, every event as the release served it, and a callback lands after the last', async () => {
    const expected = readExpected(fixture.file);
    const db = await restore(fixture);
    const recorder = await startRecorder(db);
    cleanups.push(recorder.stop);

    const before = expected.events['all ascending']!.flatMap((page) => page.events);
    expect((await apiEvents(recorder.url)).map(todaysEvent)).toEqual(before);
    expect(await sendNamed(recorder.url, 'served after the upgrade')).toMatchObject({ ActionStatus: 'OK' });
    const after = await apiEvents(recorder.url);
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)).toMatchObject({
      seq: expected.stats.lastSeq + 1,
      changes: { Name: 'served after the upgrade' },
    });
  });
});
