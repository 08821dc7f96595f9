import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { killIfRunning, sendChange, startServe, tempDir } from '../cli/support.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface GroupAnswer {
  changeCount: number;
  profile: { Name?: string };
}

it(
  'projects again, at the next start, the changes answered OK whose profiles a SIGKILL left unwritten',
  { timeout: 60_000 },
  async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const db = join(dir.path, 'crash.db');
    const first = await startServe(db);
    cleanups.push(() => killIfRunning(first.serve));
    // Profiles are written behind the OK, at most a second later: the kill comes before that.
    for (let n = 1; n <= 40; n++) {
      const answer = await sendChange(first.url, { GroupId: `@TGS#crash${n % 4}`, Name: `name ${n}` });
      expect(answer.answer.ActionStatus).toBe('OK');
    }
    await killIfRunning(first.serve);

    const second = await startServe(db);
    cleanups.push(() => killIfRunning(second.serve));
    for (let g = 0; g < 4; g++) {
      const response = await fetch(`${second.url}/api/groups/${encodeURIComponent(`@TGS#crash${g}`)}`);
      expect(response.status).toBe(200);
      const group = (await response.json()) as GroupAnswer;
      expect(group.changeCount).toBe(10);
      expect(group.profile.Name).toBe(`name ${g === 0 ? 40 : 36 + g}`);
    }
  },
);
