import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Spawned, sendChange, spawnCli, startServe, tempDir } from '../cli/support.js';

const cleanups: Array<() => void | Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(spawned: Spawned): Spawned {
  cleanups.push(async () => {
    if (spawned.child.exitCode === null && spawned.child.signalCode === null) {
      spawned.child.kill('SIGKILL');
      await spawned.exited;
    }
  });
  return spawned;
}

async function startRecorderWithEvents(count: number): Promise<string> {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const { serve, url } = await startServe(join(dir.path, 'pipe.db'));
  track(serve);
  for (let i = 0; i < count; i += 1) {
    const { answer } = await sendChange(url, { GroupId: `@TGS#pipe${i}`, Name: `name ${i}` });
    expect(answer.ActionStatus).toBe('OK');
  }
  return url;
}

/**
 * Runs `timhook tail` with its stdout read like `| head -2`: after two lines the reader closes its
 * end of the pipe. More changes then arrive, so tail writes into the closed pipe.
 */
async function tailIntoClosingReader(
  url: string,
  extra: string[],
): Promise<{ code: number | string; lines: string[]; stderr: string }> {
  const tail = track(spawnCli(['tail', '--url', url, '--after', '0', ...extra]));
  await tail.waitFor(/^(.*\n){2}/);
  tail.child.stdout!.destroy();
  const lines = tail.stdout().split('\n').slice(0, 2);
  for (let i = 0; i < 5 && tail.child.exitCode === null; i += 1) {
    await sendChange(url, { GroupId: '@TGS#pipe-late', Name: `late ${i}` });
  }
  const code = await Promise.race([
    tail.exited,
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`tail still running 10 s after its reader closed; stderr: ${tail.stderr()}`)),
        10_000,
      ).unref(),
    ),
  ]);
  return { code, lines, stderr: tail.stderr() };
}

describe('timhook tail into a pipe whose reader goes away', () => {
  it('exits 0 without a word on stderr once the reader closes after 2 lines', async () => {
    const url = await startRecorderWithEvents(3);
    const { code, lines, stderr } = await tailIntoClosingReader(url, []);
    expect(lines[0]).toMatch(/^#1 .* group @TGS#pipe0 /);
    expect(lines[1]).toMatch(/^#2 .* group @TGS#pipe1 /);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('exits 0 without a word on stderr with --json too', async () => {
    const url = await startRecorderWithEvents(3);
    const { code, lines, stderr } = await tailIntoClosingReader(url, ['--json']);
    expect(JSON.parse(lines[0]!)).toMatchObject({ seq: 1, groupId: '@TGS#pipe0' });
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
