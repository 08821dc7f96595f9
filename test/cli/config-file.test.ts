import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './support.js';

const cleanups: Array<() => void> = [];
// A config file that is wrongly accepted starts a recorder: give it a free port and a temporary
// database, and a bound on how long it may run.
const BOUNDED = { timeoutMs: 8_000 };
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function configFile(content: Record<string, unknown>): string {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const path = join(dir.path, 'timhook.config.json');
  writeFileSync(path, JSON.stringify({ port: 0, db: join(dir.path, 'c.db'), ...content }));
  return path;
}

describe('the config file', () => {
  it.each([
    ['token', '--token', 'TIMHOOK_TOKEN'],
    ['tokens', '--token', 'TIMHOOK_TOKEN'],
    ['apiToken', '--api-token', 'TIMHOOK_API_TOKEN'],
    ['api-token', '--api-token', 'TIMHOOK_API_TOKEN'],
  ])('refuses the secret %s and says to pass it as %s or %s', async (key, flag, env) => {
    const config = configFile({ sdkAppId: '1400000001', [key]: 'leaked-secret' });
    const { code, stderr } = await runCli(['serve', '--config', config], BOUNDED);
    expect(code).toBe(2);
    expect(stderr).toContain(`config file ${config} sets ${key}, a secret`);
    expect(stderr).toContain(flag);
    expect(stderr).toContain(env);
    expect(stderr).not.toContain('no callback token');
    expect(stderr).not.toContain('leaked-secret');
  });

  it.each(['secretKey', 'password', 'callbackToken'])(
    'refuses %s, a secret no serve setting has, pointing to the environment and flags',
    async (key) => {
      const config = configFile({ sdkAppId: '1400000001', [key]: 'leaked-secret' });
      const { code, stderr } = await runCli(['serve', '--config', config, '--token', 'tok'], BOUNDED);
      expect(code).toBe(2);
      expect(stderr).toContain(`config file ${config} sets ${key}, a secret`);
      expect(stderr).toContain('secrets go in flags or TIMHOOK_* environment variables');
      expect(stderr).not.toContain('leaked-secret');
    },
  );

  it.each([
    ['prot', 'port'],
    ['sdkAppID', 'sdkAppId'],
    ['sdk-appid', 'sdkAppId'],
    ['max_skew', 'maxSkew'],
    ['sink', 'sinks'],
  ])('refuses the unknown key %s with the closest known name, %s', async (key, known) => {
    const config = configFile({ sdkAppId: '1400000001', [key]: 1 });
    const { code, stderr } = await runCli(['serve', '--config', config, '--token', 'tok'], BOUNDED);
    expect(code).toBe(2);
    expect(stderr).toContain(`unknown key ${key} in ${config}: did you mean ${known}?`);
  });

  it('refuses an unknown key that is like no known one, listing the known names', async () => {
    const config = configFile({ sdkAppId: '1400000001', colourScheme: 'dark' });
    const { code, stderr } = await runCli(['serve', '--config', config, '--token', 'tok'], BOUNDED);
    expect(code).toBe(2);
    expect(stderr).toContain(`unknown key colourScheme in ${config}: the keys are sdkAppId,`);
    expect(stderr).toContain('sinks');
  });

  it('lets timhook relay read a file written for serve, and refuses its unknown keys too', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const shared = configFile({ sdkAppId: '1400000001', port: 8787, db: join(dir.path, 'none.db') });
    const fine = await runCli(['relay', 'status', '--config', shared]);
    expect(fine.stderr).toContain(`no database at ${join(dir.path, 'none.db')}`);
    const typo = configFile({ sdkAppId: '1400000001', dbb: join(dir.path, 'none.db') });
    const refused = await runCli(['relay', 'status', '--config', typo]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`unknown key dbb in ${typo}: did you mean db?`);
  });
});
