import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createBulkInsert } from '../../src/store/sqlite/bulk-insert.js';

const dbs: Database.Database[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

function openTable(): Database.Database {
  const db = new Database(':memory:');
  dbs.push(db);
  db.exec('CREATE TABLE t (n INTEGER PRIMARY KEY, label TEXT NOT NULL)');
  return db;
}

function valuesOf(from: number, rows: number): unknown[] {
  return Array.from({ length: rows }, (_, i) => [from + i, `row ${from + i}`]).flat();
}

describe('a bulk insert into a SQLite table', () => {
  it.each([0, 1, 2, 63, 64, 65, 127, 200])('inserts %i rows, each with its own values', (rows) => {
    const db = openTable();
    createBulkInsert(db, 'INSERT INTO t (n, label)', 2)(valuesOf(1, rows), rows);
    const stored = db.prepare('SELECT n, label FROM t ORDER BY n').all();
    expect(stored).toEqual(Array.from({ length: rows }, (_, i) => ({ n: i + 1, label: `row ${i + 1}` })));
  });

  it('keeps the conflict clause of its head for every row', () => {
    const db = openTable();
    const insert = createBulkInsert(db, 'INSERT OR IGNORE INTO t (n, label)', 2);
    insert(valuesOf(1, 70), 70);
    insert([...valuesOf(60, 20), 5, 'again'], 21);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(79);
    expect(db.prepare('SELECT label FROM t WHERE n = 5').pluck().get()).toBe('row 5');
  });

  it('refuses values that do not fill the rows it is told', () => {
    const db = openTable();
    const insert = createBulkInsert(db, 'INSERT INTO t (n, label)', 2);
    expect(() => insert([1, 'one', 2], 2)).toThrow(/2 rows of 2 columns need 4 values/);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
  });
});
