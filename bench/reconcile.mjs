// `npm run bench:reconcile`: groups reconciled per second by `timhook reconcile` against the emulator
// with the documented REST rate limits (get_appid_group_list 1 call/s of up to 10,000 ids,
// get_group_info 200 calls/s of up to 50 ids), beside the rate those limits allow:
// min(10,000 × 1, 50 × 200) = 10,000 groups/s. The figure to reach: 90% of it.
//   (1) fill: a new change log; every group is recorded whole (timhook.Snapshot).
//   (2) steady: the same log again; nothing differs, every group is only compared.
//   (3) drift: a tenth of the groups changed without a callback; those are fixed (timhook.Reconciled).
// Both processes are real: the emulator (`timhook emulator`) and the pass (`timhook reconcile`).
//
//   node bench/reconcile.mjs [--groups 40000]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startServer } from './lib/child.mjs';

const { values: flags } = parseArgs({ options: { groups: { type: 'string', default: '40000' } } });
const GROUPS = Number(flags.groups);
const SDK_APP_ID = 1400000999;
const SECRET_KEY = 'bench-reconcile-secret-key';
const ADMIN = 'administrator';
const CLI = new URL('../dist/cli/bin.js', import.meta.url).pathname;
const ALLOWED = Math.min(10_000 * 1, 50 * 200);

const { Api } = createRequire(import.meta.url)('tls-sig-api-v2');
const sig = new Api(SDK_APP_ID, SECRET_KEY).genUserSig(ADMIN, 86_400);

const dir = mkdtempSync(join(tmpdir(), 'timhook-bench-reconcile-'));
const emulator = await startServer(
  'emulator',
  [
    CLI,
    'emulator',
    '--port',
    '0',
    '--sdk-appid',
    String(SDK_APP_ID),
    '--secret-key',
    SECRET_KEY,
    '--admin',
    ADMIN,
    '--custom-field',
    'Level',
    '--quiet',
  ],
  { ready: /listening on http:\/\/127\.0\.0\.1:(\d+)/ },
);
try {
  let random = 0;
  const call = async (path, body) => {
    const url = `${emulator.url}${path}?sdkappid=${SDK_APP_ID}&identifier=${ADMIN}&usersig=${sig}&random=${++random}&contenttype=json`;
    const answer = await (await fetch(url, { method: 'POST', body: JSON.stringify(body) })).json();
    if (answer.ActionStatus !== 'OK') throw new Error(`${path}: ${JSON.stringify(answer)}`);
    return answer;
  };
  const ids = [];
  await inParallel(GROUPS, 32, async (i) => {
    const answer = await call('/v4/group_open_http_svc/create_group', {
      Type: 'Public',
      Name: `group ${i}`,
      Introduction: `introduction of group ${i}`,
      AppDefinedData: [{ Key: 'Level', Value: String(i % 7) }],
    });
    ids.push(answer.GroupId);
  });
  console.log(`emulator: ${GROUPS} groups, documented rate limits; allowed: ${ALLOWED} groups/s`);

  const db = join(dir, 'bench.db');
  const rows = [];
  rows.push(['fill (new log)', await pass(db)]);
  rows.push(['steady (no drift)', await pass(db)]);
  const drifted = ids.filter((_id, i) => i % 10 === 0);
  await inParallel(drifted.length, 32, async (i) => {
    await fetch(`${emulator.url}/emulator/silent/modify_group_base_info`, {
      method: 'POST',
      body: JSON.stringify({ GroupId: drifted[i], Name: `silently renamed ${i}` }),
    });
  });
  rows.push([`drift (${drifted.length} fixed)`, await pass(db)]);
  console.log('\npass                   groups   seconds   groups/s   of allowed');
  for (const [name, { scanned, seconds }] of rows) {
    const rate = scanned / seconds;
    console.log(
      `${name.padEnd(22)} ${String(scanned).padStart(6)}   ${seconds.toFixed(2).padStart(7)}   ${rate.toFixed(0).padStart(8)}   ${((rate / ALLOWED) * 100).toFixed(0).padStart(9)}%`,
    );
  }
} finally {
  await emulator.stop();
  rmSync(dir, { recursive: true, force: true });
}

/** Runs `timhook reconcile` on `db`; its summary gives groups scanned and seconds. */
async function pass(db) {
  const args = [
    CLI,
    'reconcile',
    '--sdk-appid',
    String(SDK_APP_ID),
    '--db',
    db,
    '--rest-admin',
    ADMIN,
    '--rest-url',
    emulator.url,
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, TIMHOOK_REST_SECRET_KEY: SECRET_KEY },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  const match = /done in ([\d.]+) s: scanned (\d+) groups/.exec(out);
  if (code !== 0 || !match) throw new Error(`timhook reconcile failed (${code}):\n${out}`);
  const line = out.trim().split('\n').pop();
  console.log(line);
  return { seconds: Number(match[1]), scanned: Number(match[2]) };
}

async function inParallel(count, width, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await work(next++);
    }),
  );
}
