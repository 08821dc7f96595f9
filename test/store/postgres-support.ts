import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, afterEach, beforeEach } from 'vitest';

/** The database the PostgreSQL tests use: `TIMHOOK_TEST_PG_URL`, or the project machine's own. */
export const TEST_PG_URL = process.env.TIMHOOK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** What a test file gets from {@link usePostgres}. */
export interface PostgresTestKit {
  url: string;
  /** A schema name no one uses yet (the store creates it), dropped with everything in it after the file. */
  freshSchema(): string;
  /** Closes `closable` after the test, before its schemas are dropped. */
  track<T extends { close(): Promise<void> }>(closable: T): T;
  /** A connection for the test's own checks of the database. */
  admin(): postgres.Sql;
}

/**
 * Sets up a test file for PostgreSQL: one schema per test (cheaper than a database per test), all
 * dropped after the file. PostgreSQL must be reachable: when it is not, every test of the file fails —
 * it is never skipped.
 */
export function usePostgres(): PostgresTestKit {
  let admin: postgres.Sql | null = null;
  const schemas: string[] = [];
  const opened: Array<{ close(): Promise<void> }> = [];

  let reached: Promise<void> | null = null;
  // Checked before each test, not once before all: vitest reports the tests of a failed
  // beforeAll as skipped, and an unreachable database must fail every one of them.
  beforeEach(async () => {
    admin ??= postgres(TEST_PG_URL, { max: 2, onnotice: () => {}, connect_timeout: 5 });
    const sql = admin;
    reached ??= sql`SELECT 1`.then(
      () => {},
      (error: unknown) => {
        throw new Error(`PostgreSQL is not reachable at ${TEST_PG_URL} (set TIMHOOK_TEST_PG_URL)`, {
          cause: error,
        });
      },
    );
    await reached;
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((closable) => closable.close()));
  });

  // Dropped once the file is done, a few at a time: a DROP per test would cost each test a commit,
  // and one DROP of them all would take more locks than a shared server may have free.
  afterAll(async () => {
    for (let i = 0; i < schemas.length; i += 10) {
      const names = schemas.slice(i, i + 10).map((schema) => `"${schema}"`);
      await admin?.unsafe(`DROP SCHEMA IF EXISTS ${names.join(', ')} CASCADE`);
    }
    await admin?.end({ timeout: 5 });
  });

  return {
    url: TEST_PG_URL,
    freshSchema() {
      const schema = `timhook_test_${process.pid}_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      return schema;
    },
    track(closable) {
      opened.push(closable);
      return closable;
    },
    admin() {
      if (!admin) throw new Error('usePostgres: admin() is available inside tests only');
      return admin;
    },
  };
}
