import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Spawned, spawnCli, tempDir } from '../cli/support.js';
import { createCleanups } from './support.js';

const cleanups = createCleanups();
afterEach(() => cleanups.run());
const track = (spawned: Spawned): Spawned => cleanups.track(spawned);

/** Holds a loopback port with a plain TCP listener, as another program would. */
async function occupyPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

function temp(): string {
  const dir = tempDir();
  cleanups.push(dir.remove);
  return dir.path;
}

/** The exit code, or a rejection when the process is still running after `ms`. */
function exitWithin(spawned: Spawned, ms: number): Promise<number | string> {
  return Promise.race([
    spawned.exited,
    new Promise<never>((_, reject) =>
      setTimeout(
        () =>
          reject(
            new Error(
              `still running after ${ms} ms; stdout: ${spawned.stdout()}; stderr: ${spawned.stderr()}`,
            ),
          ),
        ms,
      ).unref(),
    ),
  ]);
}

function expectOneClearLine(stderr: string, port: number, flag: string): void {
  expect(stderr).toContain(`port ${port} is in use: stop what uses it or pick another with ${flag}`);
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(stderr.match(/EADDRINUSE|is in use/g)).toHaveLength(1);
}

describe('a port that is already taken', () => {
  it('makes timhook serve exit 1 at once, naming the port and --port', async () => {
    const port = await occupyPort();
    const serve = track(
      spawnCli([
        'serve',
        '--sdk-appid',
        '1400000001',
        '--token',
        'tok',
        '--port',
        String(port),
        '--db',
        join(temp(), 'a.db'),
      ]),
    );
    expect(await exitWithin(serve, 10_000)).toBe(1);
    expectOneClearLine(serve.stderr(), port, '--port');
  });

  it('makes timhook demo exit 1 at once, naming the recorder port and --port', async () => {
    const port = await occupyPort();
    const demo = track(
      spawnCli(['demo', '--port', String(port), '--emulator-port', '0', '--db', join(temp(), 'demo.db')]),
    );
    expect(await exitWithin(demo, 10_000)).toBe(1);
    expectOneClearLine(demo.stderr(), port, '--port');
  });

  it('makes timhook demo exit 1 at once, naming the emulator port and --emulator-port', async () => {
    const port = await occupyPort();
    const demo = track(
      spawnCli(['demo', '--port', '0', '--emulator-port', String(port), '--db', join(temp(), 'demo.db')]),
    );
    expect(await exitWithin(demo, 10_000)).toBe(1);
    expectOneClearLine(demo.stderr(), port, '--emulator-port');
  });

  it('makes timhook emulator exit 1 at once, naming the port and --port', async () => {
    const port = await occupyPort();
    const emulator = track(spawnCli(['emulator', '--port', String(port)]));
    expect(await exitWithin(emulator, 10_000)).toBe(1);
    expectOneClearLine(emulator.stderr(), port, '--port');
  });
});

describe('a port this user may not listen on', () => {
  // Port 1 is privileged; as root the CLI runs as `nobody` so that the kernel refuses it.
  const uid = process.getuid?.() === 0 ? 65_534 : undefined;

  it('makes serve and emulator exit 1 at once, saying the port needs privileges', async () => {
    const probe = spawnSync(
      process.execPath,
      [
        '-e',
        "require('net').createServer().listen(1,'127.0.0.1').on('listening',()=>process.exit(3)).on('error',e=>process.exit(e.code==='EACCES'?0:4))",
      ],
      { ...(uid === undefined ? {} : { uid, gid: uid }), timeout: 5_000 },
    );
    if (probe.status !== 0) {
      throw new Error(
        'this machine lets an unprivileged user listen on port 1 (net.ipv4.ip_unprivileged_port_start is 0), so EACCES cannot be produced here',
      );
    }
    const dir = temp();
    chmodSync(dir, 0o777);
    const asUser = uid === undefined ? {} : { uid, gid: uid };
    for (const args of [
      ['serve', '--sdk-appid', '1400000001', '--token', 'tok', '--port', '1', '--db', join(dir, 'a.db')],
      ['emulator', '--port', '1'],
    ]) {
      const spawned = track(spawnCli(args, { spawn: asUser }));
      expect(await exitWithin(spawned, 10_000)).toBe(1);
      expect(spawned.stderr()).toContain('port 1 needs privileges this user does not have');
      expect(spawned.stderr()).toContain('--port');
      expect(spawned.stderr()).not.toMatch(/\n\s+at /);
    }
  });
});
