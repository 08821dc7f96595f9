// `npm run bench:reconcile`: groups reconciled per second by a reconciliation pass against the emulator
// with the documented REST rate limits (get_appid_group_list 1 call/s of up to 10,000 ids,
// get_group_info 200 calls/s of up to 50 ids), beside the rate those limits allow:
// min(10,000 × 1, 50 × 200) = 10,000 groups/s. The figure to reach: 90% of it.
//   (1) fill: a new change log; every group is recorded whole (timhook.Snapshot).
//   (2) steady: the same log again; nothing differs, every group is only compared.
//   (3) drift: a tenth of the groups changed without a callback; those are fixed (timhook.Reconciled).
// The emulator is a process of its own (`timhook emulator`); the pass runs in this one, as
// `timhook reconcile` runs it, so that its CPU time can be told apart.
//
//   node bench/reconcile.mjs [--groups 40000]
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRestClient } from '../dist/rest/index.js';
import { createRestSource, runPass } from '../dist/server/index.js';
import { openChangeLog, openMirrorState } from '../dist/store/index.js';
import { startServer } from './lib/child.mjs';
import { helpIfAsked } from './lib/usage.mjs';
import { scratchDir } from './lib/scratch.mjs';

helpIfAsked(import.meta.url);
const { values: flags } = parseArgs({ options: { groups: { type: 'string', default: '40000' } } });
const GROUPS = Number(flags.groups);
const SDK_APP_ID = 1400000999;
const SECRET_KEY = 'bench-reconcile-secret-key';
const ADMIN = 'administrator';
const CLI = new URL('../dist/cli/bin.js', import.meta.url).pathname;
const ALLOWED = Math.min(10_000 * 1, 50 * 200);

const { Api } = createRequire(import.meta.url)('tls-sig-api-v2');
const sig = new Api(SDK_APP_ID, SECRET_KEY).genUserSig(ADMIN, 86_400);

const dir = scratchDir('timhook-bench-reconcile-');
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
  // The limits count calls per second: a run may start a second's calls at once, so the least time
  // for G groups is one second per window after the first (list pages, or 200 get_group_info calls).
  const windows = Math.max(Math.ceil(GROUPS / 50 / 200), Math.ceil(GROUPS / 10_000));
  const least = Math.max(windows - 1, 1);
  console.log(
    `\nthe limits allow ${ALLOWED} groups/s; ${GROUPS} groups need at least ${least} s (${windows} windows of calls)`,
  );
  console.log(
    'pass                   groups   seconds   groups/s   of 10,000/s   of the least time   groups per CPU-second',
  );
  for (const [name, { scanned, seconds, cpuSeconds }] of rows) {
    const rate = scanned / seconds;
    const cells = [
      name.padEnd(22),
      String(scanned).padStart(6),
      seconds.toFixed(2).padStart(9),
      rate.toFixed(0).padStart(10),
      `${((rate / ALLOWED) * 100).toFixed(0)}%`.padStart(13),
      `${((least / seconds) * 100).toFixed(0)}%`.padStart(19),
      (scanned / cpuSeconds).toFixed(0).padStart(23),
    ];
    console.log(cells.join(' '));
  }
} finally {
  await emulator.stop();
}

/**
 * One pass on `db`, run here as `timhook reconcile` runs it (same client, store and pass code), so
 * that this process's CPU time is the pass's own: groups per CPU-second says what the machine, not
 * the rate limits, would allow.
 */
async function pass(db) {
  const client = createRestClient({
    sdkAppId: SDK_APP_ID,
    identifier: ADMIN,
    secretKey: SECRET_KEY,
    baseUrl: emulator.url,
  });
  const log = await openChangeLog({
    db,
    writerThread: false,
    groupCommit: { maxWaitMs: 60_000, maxAnswerMs: 120_000 },
  });
  const state = await openMirrorState(db);
  const cpu = process.cpuUsage();
  const result = await runPass(
    {
      source: createRestSource(client),
      log,
      sdkAppId: String(SDK_APP_ID),
      now: Date.now,
      state,
      onProgress: () => {},
      isStopping: () => false,
    },
    'bench',
    { resume: 'never' },
  );
  const used = process.cpuUsage(cpu);
  await state.close();
  await log.close();
  await client.close();
  if (result.status !== 'done') throw new Error(`the pass failed: ${result.error}`);
  const seconds = (result.finishedAt - result.startedAt) / 1000;
  const cpuSeconds = (used.user + used.system) / 1e6;
  const waits = client.metrics().rateLimitWaits;
  console.log(
    `  ${result.scanned} groups in ${seconds.toFixed(2)} s, CPU ${cpuSeconds.toFixed(2)} s; drifted ${result.drifted}, filled ${result.filled}, failed ${result.failed}; rate-limit waits ${JSON.stringify(waits)}`,
  );
  return { seconds, scanned: result.scanned, cpuSeconds };
}

async function inParallel(count, width, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await work(next++);
    }),
  );
}
