import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWalSync } from '../../src/store/sqlite/wal-sync.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'timhook-wal-sync-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the WAL fsync', () => {
  it('answers every caller, in the order they asked, also those that asked while an fsync ran', async () => {
    const path = join(dir, 'log.db-wal');
    writeFileSync(path, 'frames');
    const wal = openWalSync(path);
    const answered: number[] = [];
    await Promise.all(Array.from({ length: 10 }, (_, i) => wal.sync().then(() => answered.push(i))));
    expect(answered).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await wal.close();
  });

  it('waits for the fsync under way before it closes the file', async () => {
    const path = join(dir, 'log.db-wal');
    writeFileSync(path, 'frames');
    const wal = openWalSync(path);
    let synced = false;
    const syncing = wal.sync().then(() => {
      synced = true;
    });
    await wal.close();
    expect(synced).toBe(true);
    await syncing;
  });

  it('says which file is missing when there is no WAL to open', () => {
    expect(() => openWalSync(join(dir, 'none.db-wal'))).toThrow(/none\.db-wal/);
  });
});
