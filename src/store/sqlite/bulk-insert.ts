import type Database from 'better-sqlite3';

/** Inserts `rows` rows whose values lie in `values`, row after row, each row's in column order. */
export type BulkInsert = (values: readonly unknown[], rows: number) => void;

/** Most rows one statement inserts. */
const MAX_ROWS = 64;

/**
 * Prepares an insert of many rows at a time: `head` (`INSERT INTO t (a, b)`, with any conflict
 * clause) followed by one `VALUES` list of up to 64 rows, in statements of 64, 32, …, 1 rows.
 * Each better-sqlite3 `run` returns an info object built through V8's C++ API, which costs more
 * than a short row's own insert (docs/performance.md, "One statement for many rows"): the same rows
 * in fewer statements cost less, and run in the same order, in the caller's transaction.
 */
export function createBulkInsert(db: Database.Database, head: string, columns: number): BulkInsert {
  const row = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
  const statements = new Map<number, Database.Statement<unknown[]>>();
  function statementOf(rows: number): Database.Statement<unknown[]> {
    let statement = statements.get(rows);
    if (!statement) {
      statement = db.prepare(`${head} VALUES ${Array.from({ length: rows }, () => row).join(', ')}`);
      statements.set(rows, statement);
    }
    return statement;
  }
  return function insertRows(values, rows) {
    if (values.length !== rows * columns) {
      throw new TypeError(`[timhook] ${rows} rows of ${columns} columns need ${rows * columns} values`);
    }
    let done = 0;
    while (done < rows) {
      const size = largestPowerOfTwo(Math.min(rows - done, MAX_ROWS));
      const at = done * columns;
      // Spread, not an array: better-sqlite3 reads an array's values one by one through V8's C++
      // API (Object::Get), where it reads its arguments directly.
      statementOf(size).run(...(at === 0 && size === rows ? values : values.slice(at, at + size * columns)));
      done += size;
    }
  };
}

function largestPowerOfTwo(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}
