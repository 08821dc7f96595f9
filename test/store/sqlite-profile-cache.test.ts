import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProfileView } from '../../src/store/index.js';
import { createProfileCache } from '../../src/store/sqlite/profile-cache.js';

const dbs: Database.Database[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

function rowOf(id: string, changeCount = 1, kind: ProfileView['kind'] = 'group'): ProfileView {
  return {
    kind,
    id,
    groupId: id,
    groupType: 'Public',
    fields: {},
    createdAt: null,
    destroyedAt: null,
    firstSeq: 1,
    lastSeq: changeCount,
    lastChangedAt: 0,
    lastOperator: null,
    changeCount,
  };
}

describe('the profile cache of a SQLite connection', () => {
  it('holds the newest rows up to its capacity, the least recently set going first', () => {
    const db = new Database(':memory:');
    dbs.push(db);
    const cache = createProfileCache(db, 2);
    cache.set(rowOf('a'));
    cache.set(rowOf('b'));
    cache.set(rowOf('a', 2));
    cache.set(rowOf('c'));
    expect(cache.get('group', 'a')?.changeCount).toBe(2);
    expect(cache.get('group', 'b')).toBeUndefined();
    expect(cache.get('group', 'c')).toBeDefined();
    expect(cache.get('topic', 'a')).toBeUndefined();
  });

  it('keeps a group and a topic of the same id apart, and drops the oldest of the kind it holds more of', () => {
    const db = new Database(':memory:');
    dbs.push(db);
    const cache = createProfileCache(db, 3);
    cache.set(rowOf('a', 1, 'group'));
    cache.set(rowOf('a', 2, 'topic'));
    cache.set(rowOf('b', 3, 'group'));
    expect(cache.get('group', 'a')?.changeCount).toBe(1);
    expect(cache.get('topic', 'a')?.changeCount).toBe(2);
    cache.set(rowOf('c', 4, 'topic'));
    expect(cache.get('group', 'a')).toBeUndefined();
    expect([cache.get('group', 'b'), cache.get('topic', 'a'), cache.get('topic', 'c')]).not.toContain(
      undefined,
    );
  });

  it('forgets everything once another connection has committed, and nothing for its own commits', () => {
    const path = `${process.env.TMPDIR ?? '/tmp'}/timhook-cache-${process.pid}-${Date.now()}.db`;
    const mine = new Database(path);
    const other = new Database(path);
    dbs.push(mine, other);
    mine.pragma('journal_mode = WAL');
    mine.exec('CREATE TABLE t (x)');
    const cache = createProfileCache(mine);
    cache.set(rowOf('a'));
    mine.exec('INSERT INTO t VALUES (1)');
    cache.check();
    expect(cache.get('group', 'a')).toBeDefined();
    other.exec('INSERT INTO t VALUES (2)');
    cache.check();
    expect(cache.get('group', 'a')).toBeUndefined();
  });
});
