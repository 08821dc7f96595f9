import { closeSync, openSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { type ChangeLog, openThreadedSqliteChangeLog } from '../../src/store/index.js';
import { G1, G2, groupChanged } from '../store/entries.js';
import { mountSmallDisk } from './support.js';

const cleanups: Array<() => void | Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Writes zeros to `path` until the disk is full (tmpfs counts pages written). */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch {
    // ENOSPC: full.
  } finally {
    closeSync(fd);
  }
}

it('stays at fault when the disk fills between a commit and its fsync: the older commit does not clear it', async () => {
  // Commit 1 (one small callback) is written; commit 2, taken in the next microtask (maxBatch 1),
  // is too big for what is left and fails; then commit 1's fsync reports. The log must still
  // refuse: only space freed, or a commit written after the fault, says it can write again.
  const disk = mountSmallDisk(8);
  cleanups.push(disk.remove);
  const log: ChangeLog = await openThreadedSqliteChangeLog({
    path: join(disk.path, 'race.db'),
    groupCommit: { maxBatch: 1 },
  });
  cleanups.push(() => log.close().catch(() => {}));
  await log.append([await groupChanged(G1, { Name: 'warm' })]);
  const ballast = join(disk.path, 'ballast');
  fillDisk(ballast);
  // Room for the small commit, not for the big one.
  truncateSync(ballast, statSync(ballast).size - 256 * 1024);

  const small = await groupChanged(G1, { Name: 'small' });
  const big = { ...(await groupChanged(G2, { Name: 'big' })), rawBody: `{"pad":"${'x'.repeat(4_000_000)}"}` };
  const [first, second] = await Promise.allSettled([log.append([small]), log.append([big])]);
  expect(second.status).toBe('rejected');
  expect(String((second as PromiseRejectedResult).reason)).toMatch(/disk is full/);
  expect(first.status).toBe('fulfilled');
  expect(log.health?.status()).toMatchObject({ state: 'fault', fault: 'disk_full' });
});
