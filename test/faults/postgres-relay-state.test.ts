import postgres from 'postgres';
import { expect, it, vi } from 'vitest';
import { PostgresUnavailableError } from '../../src/store/index.js';
import { openPostgresRelayState } from '../../src/store/postgres/relay-state.js';
import { usePostgres } from '../store/postgres-support.js';

const pg = usePostgres();

it('rejects a relay commit whose session PostgreSQL ended mid-transaction, and commits the next one', async () => {
  const schema = pg.freshSchema();
  const state = pg.track(await openPostgresRelayState({ url: pg.url, schema }));
  await state.ensureSink('orders', 0);
  const claimed = await state.acquireLease('orders', 'me', 60_000);
  const claim = { epoch: claimed!.epoch, owner: 'me' };
  const progress = { cursor: 5, delivered: 5, deliveredAt: 1, deadLetters: [], redriven: [] };

  // A transaction of the test's own holds the sink's row, so the commit waits inside its transaction.
  const locker = postgres(pg.url, { max: 1, onnotice: () => {} });
  try {
    const tx = await locker.reserve();
    await tx`BEGIN`;
    const [locked] = await tx<
      Array<{ pid: number }>
    >`SELECT pg_backend_pid() AS pid FROM ${tx(schema)}.relay_sinks WHERE sink = 'orders' FOR UPDATE`;
    const lockerPid = locked!.pid;
    const committing = state.commitProgress('orders', claim, progress);
    committing.catch(() => {});
    const waiting = await vi.waitFor(async () => {
      const [row] = await pg.admin()<Array<{ pid: number }>>`
        SELECT pid FROM pg_stat_activity WHERE ${lockerPid}::int = ANY(pg_blocking_pids(pid))`;
      expect(row).toBeDefined();
      return row!.pid;
    }, 5000);
    await pg.admin()`SELECT pg_terminate_backend(${waiting}::int)`;
    await expect(committing).rejects.toBeInstanceOf(PostgresUnavailableError);
    await tx`ROLLBACK`;
    tx.release();
  } finally {
    await locker.end({ timeout: 1 });
  }

  expect((await state.getSink('orders'))!.cursor).toBe(0);
  await expect(state.commitProgress('orders', claim, progress)).resolves.toBe(true);
  expect((await state.getSink('orders'))!.cursor).toBe(5);
});
