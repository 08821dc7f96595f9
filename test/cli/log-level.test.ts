import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  killIfRunning,
  runCli,
  type Spawned,
  signedCallbackUrl,
  spawnCli,
  startServe,
  tempDir,
} from './support.js';

const cleanups: Array<() => void | Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(spawned: Spawned): Spawned {
  cleanups.push(() => killIfRunning(spawned));
  return spawned;
}

function temp(): string {
  const dir = tempDir();
  cleanups.push(dir.remove);
  return dir.path;
}

/** The JSON log lines a process wrote on standard error, parsed. */
function logLines(stderr: string): Array<{ level: string; msg: string }> {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: string; msg: string });
}

/** Starts `serve`, then stops it with SIGTERM; resolves with its log lines once it has exited. */
async function serveAndStop(extra: string[], env: NodeJS.ProcessEnv = {}) {
  const { serve } = await startServe(join(temp(), 'l.db'), extra, env);
  track(serve);
  serve.child.kill('SIGTERM');
  expect(await serve.exited).toBe(0);
  return logLines(serve.stderr());
}

describe('--log-level', () => {
  it('serve writes its info lines by default, and none with --log-level warn or TIMHOOK_LOG_LEVEL=warn', async () => {
    const byDefault = await serveAndStop([]);
    expect(byDefault).toContainEqual(expect.objectContaining({ level: 'info', msg: 'recorder started' }));
    for (const lines of [
      await serveAndStop(['--log-level', 'warn']),
      await serveAndStop([], { TIMHOOK_LOG_LEVEL: 'warn' }),
    ]) {
      expect(lines.filter((line) => line.level === 'info' || line.level === 'debug')).toEqual([]);
    }
  });

  it('serve writes debug lines with --log-level debug: a client that went away mid-callback', async () => {
    const { serve, url } = await startServe(join(temp(), 'd.db'), ['--log-level', 'debug']);
    track(serve);
    const callback = new URL(signedCallbackUrl(url));
    const socket = connect(Number(callback.port), callback.hostname);
    cleanups.push(() => {
      socket.destroy();
    });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST ${callback.pathname}${callback.search} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{"CallbackCommand":`,
    );
    // The server has the headers once it answers the next request on another connection.
    await fetch(`${url}/healthz`);
    socket.destroy();
    await vi.waitFor(
      () =>
        expect(logLines(serve.stderr())).toContainEqual(
          expect.objectContaining({ level: 'debug', msg: 'the client went away before its answer' }),
        ),
      { timeout: 10_000, interval: 50 },
    );
  });

  it('demo writes no info lines with --log-level warn (each reconciliation pass is one otherwise)', async () => {
    const dir = temp();
    const base = ['demo', '--port', '0', '--emulator-port', '0', '--db', join(dir, 'demo.db')];
    const args = [...base, '--rate', '0', '--reconcile-every', '1s', '--quiet'];
    const chatty = track(spawnCli(args));
    await chatty.waitFor(/reconcile pass done/);
    chatty.child.kill('SIGTERM');
    expect(await chatty.exited).toBe(0);
    expect(logLines(chatty.stderr())).toContainEqual(
      expect.objectContaining({ level: 'info', msg: 'reconciliation pass done' }),
    );
    const quiet = track(spawnCli([...args, '--log-level', 'warn']));
    await quiet.waitFor(/reconcile pass done/);
    quiet.child.kill('SIGTERM');
    expect(await quiet.exited).toBe(0);
    expect(logLines(quiet.stderr()).filter((line) => line.level === 'info')).toEqual([]);
  }, 30_000);

  it('refuses a level it does not know, naming the allowed ones, from a flag or the environment', async () => {
    const allowed = '--log-level must be one of debug, info, warn, error';
    const fromFlag = await runCli(['serve', '--sdk-appid', '1', '--token', 't', '--log-level', 'loud']);
    expect(fromFlag.code).toBe(2);
    expect(fromFlag.stderr).toContain(allowed);
    const fromEnv = await runCli(['serve', '--sdk-appid', '1', '--token', 't'], {
      env: { TIMHOOK_LOG_LEVEL: 'verbose' },
    });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain(allowed);
    const demo = await runCli(['demo', '--log-level', 'WARN']);
    expect(demo.code).toBe(2);
    expect(demo.stderr).toContain(allowed);
  });

  it('is in the config file as logLevel, which relay and reconcile accept in the recorder’s file too', async () => {
    const dir = temp();
    const config = join(dir, 'timhook.config.json');
    writeFileSync(config, JSON.stringify({ sdkAppId: '1400000001', logLevel: 'warn' }));
    const lines = await serveAndStop(['--config', config]);
    expect(lines.filter((line) => line.level === 'info')).toEqual([]);
    const relay = await runCli(['relay', 'status', '--config', config, '--db', join(dir, 'none.db')]);
    expect(relay.stderr).toContain('no database at');
    const reconcile = await runCli(['reconcile', '--config', config]);
    expect(reconcile.code).toBe(2);
    expect(reconcile.stderr).not.toContain('unknown key');
    expect(reconcile.stderr).toContain('give the REST settings');
  });

  it('is explained by serve --help and demo --help, with its values, default and variable', async () => {
    for (const command of ['serve', 'demo']) {
      const { stdout } = await runCli([command, '--help']);
      const at = stdout.indexOf('\n  --log-level');
      expect(at, command).toBeGreaterThan(0);
      const block = stdout.slice(at, stdout.indexOf('\n  --', at + 1)).replace(/\s+/g, ' ');
      expect(block).toContain('debug, info, warn or error');
      expect(block).toContain('[default: info]');
      expect(block).toContain('env TIMHOOK_LOG_LEVEL');
    }
  });
});
