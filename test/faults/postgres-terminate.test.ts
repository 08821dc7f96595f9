import postgres from 'postgres';
import { expect, it } from 'vitest';
import { TEST_PG_URL } from '../store/postgres-support.js';
import {
  createFreshDatabase,
  describeTally,
  isAlive,
  newTally,
  readLoggedNames,
  sendUntil,
  startServe,
  useCleanups,
} from './postgres-support.js';

const cleanup = useCleanups();

/** Ends every session of `database` but the caller's own; resolves with how many it ended. */
async function terminateAll(admin: postgres.Sql, database: string): Promise<number> {
  const rows = await admin<Array<{ ended: boolean }>>`
    SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
    WHERE datname = ${database} AND pid <> pg_backend_pid()`;
  return rows.filter((row) => row.ended).length;
}

it('stays up, loses no OK-answered event and answers OK again when PostgreSQL ends its sessions under load', async () => {
  const database = await createFreshDatabase();
  cleanup(database.drop);
  const { serve, url } = await startServe(database.url, cleanup);
  const admin = postgres(TEST_PG_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  cleanup(() => admin.end({ timeout: 1 }));

  // 8 senders for the whole test; every backend of the database ended every 100 ms for 6 s.
  const during = newTally();
  let terminating = true;
  const load = sendUntil(url, { lanes: 8, prefix: 'during', tally: during, stop: () => !terminating });
  let ended = 0;
  const until = Date.now() + 6000;
  while (Date.now() < until && isAlive(serve)) {
    ended += await terminateAll(admin, database.name);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  terminating = false;
  await load;
  expect(isAlive(serve), `the recorder exited: ${serve.stderr().slice(-1500)}`).toBe(true);
  expect(serve.stderr()).not.toMatch(/TypeError|uncaught/i);
  expect(ended).toBeGreaterThan(10);

  // Once the terminations stop, callbacks are answered OK again, without a restart.
  const after = newTally();
  const deadline = Date.now() + 15_000;
  await sendUntil(url, {
    lanes: 8,
    prefix: 'after',
    tally: after,
    stop: () => after.ok.size >= 40 || Date.now() > deadline || !isAlive(serve),
  });
  expect(isAlive(serve)).toBe(true);
  expect(
    after.ok.size,
    `after: ${describeTally(after)}; during: ${describeTally(during)}; ${serve.stderr().slice(-1500)}`,
  ).toBeGreaterThanOrEqual(40);

  const logged = new Set(await readLoggedNames(database.url));
  const lost = [...during.ok, ...after.ok].filter((name) => !logged.has(name));
  expect(lost).toEqual([]);
}, 60_000);
