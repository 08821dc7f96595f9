import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atExit } from './at-exit.mjs';

/**
 * A new folder of the benchmark's own in the system's temp folder (named `prefix` and a random
 * tail), removed with everything in it when the benchmark exits, however it exits, unless `keep`.
 */
export function scratchDir(prefix, { keep = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (!keep) atExit(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
