import { expect, it } from 'vitest';
import { openPostgresChangeLog } from '../../src/store/postgres/change-log.js';
import { openPostgresRelayState } from '../../src/store/postgres/relay-state.js';
import { groupChanged } from '../store/entries.js';
import { usePostgres } from '../store/postgres-support.js';
import { describeRelayStateContract } from './relay-state-contract.js';

const pg = usePostgres();

describeRelayStateContract('PostgreSQL', async () =>
  openPostgresRelayState({ url: pg.url, schema: pg.freshSchema() }),
);

describeRelayStateContract('PostgreSQL, with an injected clock', async () => {
  let at = 1_000_000;
  return openPostgresRelayState({ url: pg.url, schema: pg.freshSchema(), now: () => at++ });
});

it('lives in the change log’s schema: whichever opens it first migrates it, once, for both', async () => {
  const schema = pg.freshSchema();
  const [state, log] = await Promise.all([
    openPostgresRelayState({ url: pg.url, schema }).then(pg.track),
    openPostgresChangeLog({ url: pg.url, schema, max: 2 }).then(pg.track),
  ]);
  await state.ensureSink('orders', 0);
  await log.append([await groupChanged('@TGS#SHARED', { Name: 'a' })]);
  expect((await state.getSink('orders'))!.cursor).toBe(0);
  const tables = await pg.admin()<Array<{ name: string }>>`
    SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ${schema} ORDER BY 1`;
  expect(tables.map((t) => t.name)).toEqual([
    'event_fields',
    'events',
    'mirror_state',
    'profiles',
    'relay_dead_letters',
    'relay_sinks',
    'timhook_schema_version',
  ]);
});

it('judges leases by the database’s clock when no clock is injected', async () => {
  const state = pg.track(await openPostgresRelayState({ url: pg.url, schema: pg.freshSchema() }));
  await state.ensureSink('s', 0);
  const before = Date.now();
  const held = await state.acquireLease('s', 'a', 60_000);
  // The database runs on this machine: its clock and ours agree to well within a second.
  expect(held!.leaseExpiresAt).toBeGreaterThanOrEqual(before + 60_000 - 1_000);
  expect(held!.leaseExpiresAt).toBeLessThanOrEqual(Date.now() + 60_000 + 1_000);
});
