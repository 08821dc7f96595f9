import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runBounded, tempDir } from './support.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function scratch(): string {
  const dir = tempDir();
  cleanups.push(dir.remove);
  return dir.path;
}

/** `timhook serve --db <db>`, expected to stop at once with one line naming `named` and `problem`. */
async function expectRefused(db: string, named: string, problem: RegExp, cwd?: string): Promise<void> {
  const run = await runBounded(
    ['serve', '--sdk-appid', '1400000001', '--token', 'tok', '--port', '0', '--db', db],
    { timeoutMs: 10_000, ...(cwd ? { cwd } : {}) },
  );
  expect(run.code, `exit code; stderr: ${run.stderr}`).toBe(1);
  const lines = run.stderr.trim().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toContain(named);
  expect(lines[0]).toMatch(problem);
  expect(run.stdout).not.toMatch(/listening/);
}

describe('a --db that cannot be a database stops the recorder at once with one clear line', () => {
  it('refuses a path on the proc file system', async () => {
    await expectRefused('/proc/timhook/timhook.db', '/proc/timhook/timhook.db', /virtual file system/);
  });

  it('refuses a path whose folder is a file', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'plain'), 'not a folder');
    const db = join(dir, 'plain', 'timhook.db');
    await expectRefused(db, db, /is a file, not a folder/);
  });

  it('refuses a folder', async () => {
    const dir = scratch();
    mkdirSync(join(dir, 'folder.db'));
    await expectRefused(join(dir, 'folder.db'), join(dir, 'folder.db'), /is a folder, not a database file/);
  });

  it('refuses a file that is not a SQLite database', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'notes.txt'), 'these are notes, not a database\n'.repeat(10));
    await expectRefused(join(dir, 'notes.txt'), join(dir, 'notes.txt'), /is not a SQLite database/);
  });

  it('refuses a URL of a database it does not support, and creates nothing', async () => {
    const dir = scratch();
    await expectRefused(
      'mysql://user@db.example/timhook',
      'mysql://user@db.example/timhook',
      /not supported/,
      dir,
    );
    expect(existsSync(join(dir, 'mysql:'))).toBe(false);
  });
});
