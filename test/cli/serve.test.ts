import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type Spawned, sendChange, spawnCli, startServe, tempDir } from './support.js';

const cleanups: Array<() => void | Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(serve: Spawned): void {
  cleanups.push(async () => {
    if (serve.child.exitCode === null && serve.child.signalCode === null) {
      serve.child.kill('SIGKILL');
      await serve.exited;
    }
  });
}

function temp(): string {
  const dir = tempDir();
  cleanups.push(dir.remove);
  return dir.path;
}

describe('timhook serve', () => {
  it('explains every flag, its environment variable and its default in --help', async () => {
    const { code, stdout } = await runCli(['serve', '--help']);
    expect(code).toBe(0);
    for (const flag of [
      '--sdk-appid',
      '--token',
      '--insecure-no-token',
      '--host',
      '--port',
      '--path',
      '--db',
      '--api-token',
      '--max-skew',
      '--durability',
      '--config',
    ]) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toContain('TIMHOOK_SDK_APPID');
    expect(stdout).toContain('[default: ./data/timhook.db]');
  });

  it('refuses to start without a token unless --insecure-no-token is given', async () => {
    const dir = temp();
    const refused = await runCli(['serve', '--sdk-appid', '1400000001', '--db', join(dir, 'a.db')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('no callback token');
    expect(refused.stderr).toContain('timhook serve --help');

    const serve = spawnCli([
      'serve',
      '--sdk-appid',
      '1400000001',
      '--insecure-no-token',
      '--port',
      '0',
      '--db',
      join(dir, 'b.db'),
    ]);
    track(serve);
    await serve.waitFor(/listening on/);
  });

  it('names the missing or malformed setting with exit code 2', async () => {
    const missing = await runCli(['serve', '--token', 'tok']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--sdk-appid is required');
    const badPort = await runCli(['serve', '--sdk-appid', '1', '--token', 't', '--port', 'x']);
    expect(badPort.code).toBe(2);
    const unknown = await runCli(['serve', '--sdk-appid', '1', '--token', 't', '--colour']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--colour');
    const durability = await runCli(['serve', '--sdk-appid', '1', '--token', 't', '--durability', 'fast']);
    expect(durability.stderr).toContain('--durability must be full or normal');
  });

  it('prints the settings with secrets masked and the callback URL to paste into the console', async () => {
    const dir = temp();
    const { serve, url } = await startServe(join(dir, 'c.db'), ['--api-token', 'api-secret-123']);
    track(serve);
    expect(serve.stdout()).toContain(`callback URL for the Chat console: ${url}/callback`);
    expect(serve.stdout()).toContain('"tokens":["***"]');
    expect(serve.stdout()).not.toContain('tok"');
    expect(serve.stdout()).not.toContain('api-secret-123');
    expect(serve.stderr()).not.toContain('api-secret-123');
  });

  it('runs on PostgreSQL for a postgres:// --db, and never prints its password', async () => {
    const schema = `t_serve_${process.pid}_${Date.now()}`;
    const db = `postgres://postgres:pg-secret-456@127.0.0.1:5432/postgres?schema=${schema}`;
    const sql = postgres('postgres://postgres@127.0.0.1:5432/postgres', { max: 1, onnotice: () => {} });
    try {
      const { serve, url } = await startServe(db);
      track(serve);
      expect(serve.stdout()).toContain('postgres://postgres:***@127.0.0.1:5432/postgres?schema=');
      expect(serve.stdout() + serve.stderr()).not.toContain('pg-secret-456');
      const sent = await sendChange(url, { GroupId: '@TGS#PG', Type: 'Public', Name: 'on PostgreSQL' });
      expect(sent.answer.ActionStatus).toBe('OK');
      const [row] = await sql<Array<{ n: number }>>`SELECT count(*)::int AS n FROM ${sql(schema)}.events`;
      expect(row?.n).toBe(1);
    } finally {
      await sql`DROP SCHEMA IF EXISTS ${sql(schema)} CASCADE`;
      await sql.end();
    }
  });

  it('takes flags over TIMHOOK_* variables over the config file', async () => {
    const dir = temp();
    const config = join(dir, 'timhook.config.json');
    writeFileSync(config, JSON.stringify({ sdkAppId: '1400000009', path: '/from-file', maxSkew: 30 }));
    const serve = spawnCli(
      ['serve', '--config', config, '--port', '0', '--db', join(dir, 'd.db'), '--max-skew', '45'],
      {
        env: { TIMHOOK_TOKEN: 'envtok', TIMHOOK_PATH: '/from-env' },
      },
    );
    track(serve);
    await serve.waitFor(/listening on/);
    expect(serve.stdout()).toContain('"sdkAppId":"1400000009"');
    expect(serve.stdout()).toContain('"path":"/from-env"');
    expect(serve.stdout()).toContain('"maxSkew":45');
  });

  it('refuses a config file that holds a secret', async () => {
    const dir = temp();
    const config = join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ sdkAppId: '1', tokens: ['leak'] }));
    const { code, stderr } = await runCli(['serve', '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toContain('a secret');
    expect(stderr).toContain('TIMHOOK_TOKEN');
  });

  it('commits what is in flight and exits 0 on SIGTERM', async () => {
    const dir = temp();
    const db = join(dir, 'e.db');
    const { serve, url } = await startServe(db);
    track(serve);
    const sends = Array.from({ length: 50 }, (_, i) =>
      sendChange(url, { GroupId: `@TGS#stop${i}`, Name: `n${i}` }),
    );
    const first = await sends[0]!;
    expect(first.answer.ActionStatus).toBe('OK');
    serve.child.kill('SIGTERM');
    const answers = await Promise.allSettled(sends);
    expect(await serve.exited).toBe(0);
    const ok = answers.filter((a) => a.status === 'fulfilled' && a.value.answer.ActionStatus === 'OK').length;
    const again = await startServe(db);
    track(again.serve);
    const events = (await (await fetch(`${again.url}/api/events?limit=1000`)).json()) as {
      events: unknown[];
    };
    expect(events.events.length).toBe(ok);
  });
});
