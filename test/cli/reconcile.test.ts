import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { runCli, type Spawned, startServe, tempDir } from './support.js';

const SECRET_KEY = 'cli-reconcile-secret-key';
const ADMIN = 'administrator';

let emulator: Emulator | undefined;
const children: Spawned[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.child.kill('SIGKILL');
    await child.exited;
  }
  await emulator?.stop();
  emulator = undefined;
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function emulatorWithGroups(count: number): Promise<Emulator> {
  emulator = createEmulator({ sdkAppId: 1400000001, secretKey: SECRET_KEY, admins: [ADMIN] });
  await emulator.start();
  const sig = emulator.userSig(ADMIN);
  for (let i = 0; i < count; i++) {
    const url = `${emulator.url}/v4/group_open_http_svc/create_group?sdkappid=1400000001&identifier=${ADMIN}&usersig=${sig}&random=${i}&contenttype=json`;
    await fetch(url, {
      method: 'POST',
      body: JSON.stringify({ Type: 'Public', Name: `g${i}`, Introduction: 'x' }),
    });
  }
  return emulator;
}

function folder(): string {
  const dir = tempDir();
  cleanups.push(dir.remove);
  return dir.path;
}

it('serve refuses REST settings given in part, and a secret key in the config file', async () => {
  const partial = await runCli(['serve', '--sdk-appid', '1400000001', '--token', 't', '--rest-admin', ADMIN]);
  expect(partial.code).toBe(2);
  expect(partial.stderr).toMatch(/the REST API needs --rest-secret-key .*, --rest-region or --rest-url/);
  const dir = folder();
  const config = join(dir, 'timhook.config.json');
  writeFileSync(config, JSON.stringify({ restSecretKey: 'in-the-file' }));
  const inFile = await runCli(['serve', '--sdk-appid', '1400000001', '--token', 't', '--config', config]);
  expect(inFile.code).toBe(2);
  expect(inFile.stderr).toMatch(
    /sets restSecretKey, a secret: use --rest-secret-key or TIMHOOK_REST_SECRET_KEY/,
  );
});

it('serve shows its REST settings with the secret key masked', async () => {
  await emulatorWithGroups(0);
  const { serve } = await startServe(
    join(folder(), 'log.db'),
    ['--rest-admin', ADMIN, '--rest-url', emulator!.url],
    {
      TIMHOOK_REST_SECRET_KEY: SECRET_KEY,
    },
  );
  children.push(serve);
  await serve.waitFor(/settings: /);
  expect(serve.stdout()).toMatch(/"rest":\{"admin":"administrator","secretKey":"\*\*\*","target":"http:/);
  expect(serve.stdout() + serve.stderr()).not.toContain(SECRET_KEY);
});

it('reconcile runs one pass on a change log and prints its summary; a second run finds nothing to fix', async () => {
  await emulatorWithGroups(120);
  const db = join(folder(), 'log.db');
  const args = [
    'reconcile',
    '--sdk-appid',
    '1400000001',
    '--db',
    db,
    '--rest-admin',
    ADMIN,
    '--rest-url',
    emulator!.url,
  ];
  const env = { TIMHOOK_REST_SECRET_KEY: SECRET_KEY };
  const first = await runCli(args, { env });
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(
    /reconciliation done in [\d.]+ s: scanned 120 groups and 0 topics, drifted 0, fixed 0, filled 120, vanished 0, failed 0\n$/,
  );
  const second = await runCli(args, { env });
  expect(second.stdout).toMatch(
    /scanned 120 groups and 0 topics, drifted 0, fixed 0, filled 0, vanished 0, failed 0\n$/,
  );
});

it('reconcile with a wrong secret key says so and exits 1, recording nothing', async () => {
  await emulatorWithGroups(3);
  const db = join(folder(), 'log.db');
  const result = await runCli(
    [
      'reconcile',
      '--sdk-appid',
      '1400000001',
      '--db',
      db,
      '--rest-admin',
      ADMIN,
      '--rest-url',
      emulator!.url,
    ],
    { env: { TIMHOOK_REST_SECRET_KEY: 'wrong-key' } },
  );
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(/reconciliation FAILED .* scanned 0 groups/);
  expect(result.stderr).toMatch(
    /timhook reconcile: REST API at http:\/\/127\.0\.0\.1:\d+: .*70009.*secret key/,
  );
  expect(result.stderr + result.stdout).not.toContain('wrong-key');
});
