import { expect, it } from 'vitest';
import { TEST_PG_URL } from '../store/postgres-support.js';
import {
  createFreshDatabase,
  describeTally,
  isAlive,
  newTally,
  readLoggedNames,
  sendUntil,
  startRelay,
  startServe,
  useCleanups,
} from './postgres-support.js';

const cleanup = useCleanups();

/** `/readyz`'s status. */
async function readiness(base: string): Promise<number> {
  return (await fetch(`${base}/readyz`)).status;
}

it('answers 503 FAIL and is not ready while PostgreSQL is unreachable, and records again once it is back', async () => {
  const database = await createFreshDatabase();
  cleanup(database.drop);
  const target = new URL(TEST_PG_URL);
  const relay = await startRelay({ host: target.hostname, port: Number(target.port || 5432) });
  cleanup(relay.close);
  const viaRelay = new URL(database.url);
  viaRelay.port = String(relay.port);
  const { serve, url } = await startServe(viaRelay.toString(), cleanup);

  const before = newTally();
  await sendUntil(url, { lanes: 4, prefix: 'before', tally: before, stop: () => before.ok.size >= 20 });

  // Cut for 4 s under load: every answer is a FAIL with 503, and the recorder is not ready.
  relay.cut();
  const cut = newTally();
  const cutUntil = Date.now() + 4000;
  const load = sendUntil(url, { lanes: 4, prefix: 'cut', tally: cut, stop: () => Date.now() > cutUntil });
  const ready: number[] = [];
  while (Date.now() < cutUntil) {
    ready.push(await readiness(url));
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await load;
  expect(isAlive(serve), serve.stderr().slice(-1500)).toBe(true);
  expect(cut.ok.size, describeTally(cut)).toBe(0);
  expect(cut.unanswered).toBe(0);
  expect([...cut.refused.keys()]).toEqual(['503 FAIL']);
  expect(new Set(ready)).toEqual(new Set([503]));

  // Back: OK again and ready, without a restart.
  relay.restore();
  const restoredAt = Date.now();
  const after = newTally();
  const deadline = Date.now() + 15_000;
  await sendUntil(url, {
    lanes: 4,
    prefix: 'after',
    tally: after,
    stop: () => after.ok.size >= 20 || Date.now() > deadline,
  });
  expect(after.ok.size, `${describeTally(after)}; ${serve.stderr().slice(-1500)}`).toBeGreaterThanOrEqual(20);
  expect(await readiness(url)).toBe(200);
  if (process.env.TIMHOOK_FAULT_TIMES)
    console.log(`first OK ${after.firstOkAt! - restoredAt} ms after the relay was restored`);

  const logged = new Set(await readLoggedNames(database.url));
  expect([...before.ok, ...after.ok].filter((name) => !logged.has(name))).toEqual([]);
}, 60_000);
