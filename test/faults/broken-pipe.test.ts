import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Spawned, sendChange, spawnCli, startServe, tempDir } from '../cli/support.js';
import { createCleanups } from './support.js';

const cleanups = createCleanups();
afterEach(() => cleanups.run());
const track = (spawned: Spawned): Spawned => cleanups.track(spawned);

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

/** Waits up to 10 s for the process to exit; rejects with its stderr when it does not. */
function exitWithin10s(spawned: Spawned, what: string): Promise<number | string> {
  return Promise.race([
    spawned.exited,
    new Promise<never>((_, reject) =>
      setTimeout(
        () =>
          reject(
            new Error(`${what} still running 10 s after its reader closed; stderr: ${spawned.stderr()}`),
          ),
        10_000,
      ).unref(),
    ),
  ]);
}

describe('the servers that print a line per change, into a pipe whose reader goes away', () => {
  it('timhook demo stops gracefully and exits 0', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const demo = track(
      spawnCli([
        'demo',
        '--port',
        '0',
        '--emulator-port',
        '0',
        '--rate',
        '20',
        '--db',
        join(dir.path, 'demo.db'),
      ]),
    );
    await demo.waitFor(/Ctrl-C stops\.\n(.*\n){2}/);
    demo.child.stdout!.destroy();
    expect(await exitWithin10s(demo, 'timhook demo')).toBe(0);
    expect(demo.stderr()).not.toMatch(/EPIPE|\n\s+at /);
  });

  it('timhook emulator stops gracefully and exits 0', async () => {
    const receiver: Server = createServer((req, res) => {
      req.resume().on('end', () => res.end('{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}'));
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => receiver.close(resolve)));
    const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/callback`;
    const emulator = track(spawnCli(['emulator', '--port', '0', '--callback-url', callbackUrl]));
    const [, url] = await emulator.waitFor(/listening on (http:\/\/\S+)/);
    const [, sig] = await emulator.waitFor(/valid 24 h\): (\S+)/);
    emulator.child.stdout!.destroy();
    const rest = `${url}/v4/group_open_http_svc/create_group?sdkappid=1400000000&identifier=administrator&usersig=${sig}&random=1&contenttype=json`;
    // Each group made is a callback, and each callback a line printed into the closed pipe.
    for (let i = 0; i < 5 && emulator.child.exitCode === null; i += 1) {
      const made = await fetch(rest, {
        method: 'POST',
        body: JSON.stringify({ Type: 'Public', Name: `pipe ${i}` }),
      }).catch(() => null);
      await made?.text();
    }
    expect(await exitWithin10s(emulator, 'timhook emulator')).toBe(0);
    expect(emulator.stderr()).not.toMatch(/EPIPE|\n\s+at /);
  });
});

describe('timhook serve whose output pipes close', () => {
  it('keeps answering callbacks, and stops gracefully with 0 on SIGTERM', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const { serve, url } = await startServe(join(dir.path, 'quiet.db'));
    track(serve);
    serve.child.stdout!.destroy();
    serve.child.stderr!.destroy();
    const { answer } = await sendChange(url, { GroupId: '@TGS#pipe-serve', Name: 'still here' });
    expect(answer.ActionStatus).toBe('OK');
    // Stopping logs to the closed standard error: that must not cut the graceful stop short.
    serve.child.kill('SIGTERM');
    expect(await exitWithin10s(serve, 'timhook serve')).toBe(0);
  });
});
