// `node bench/page-bytes.mjs`: what large pages of events cost the recorder.
//   1. Start `timhook serve` (the real CLI) on a fresh database; record `--events` signed group
//      changes whose Notification makes each logged event about `--event-kb` KiB of JSON.
//   2. Fire `--concurrent` requests for `GET /api/events?limit=1000` at once, `--rounds` times.
//   3. Report the answer size and the serve process's resident memory: before, and its peak
//      during the burst (VmHWM, reset before each burst through /proc/PID/clear_refs).
// With `--baseline-cli other/dist/cli/bin.js` (e.g. a build from before pages were capped by
// bytes), the same run measures that build too and prints both.
//
//   node bench/page-bytes.mjs [--events 1000] [--event-kb 20] [--concurrent 10] [--rounds 3]
//                             [--cli dist/cli/bin.js] [--baseline-cli other/dist/cli/bin.js]
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { memoryOf, SERVE_READY, serveArgs, startServer } from './lib/child.mjs';
import { median } from './lib/load.mjs';
import { COMMAND, groupIdOf, SDK_APP_ID, signedQuery, TOKEN } from './lib/traffic.mjs';
import { helpIfAsked } from './lib/usage.mjs';
import { scratchDir } from './lib/scratch.mjs';

helpIfAsked(import.meta.url);
const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '1000' },
    'event-kb': { type: 'string', default: '20' },
    concurrent: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    cli: { type: 'string' },
    'baseline-cli': { type: 'string' },
  },
});
const events = Number(flags.events);
const eventKb = Number(flags['event-kb']);
const concurrent = Number(flags.concurrent);
const rounds = Number(flags.rounds);

// A logged change holds its Notification about four times (raw body, changes, the diff's from and
// to); the size printed is measured on the recorded events.
const notificationBytes = Math.round((eventKb * 1024) / 4);

function bodyOf(n) {
  return JSON.stringify({
    CallbackCommand: COMMAND,
    GroupId: groupIdOf(n % 50),
    Type: 'Public',
    Operator_Account: 'bench',
    Notification: `${n}:`.padEnd(notificationBytes, 'n'),
  });
}

async function record(url) {
  let next = 0;
  async function lane() {
    while (next < events) {
      const n = next++;
      const response = await fetch(`${url}/callback?${signedQuery(Math.floor(Date.now() / 1000))}`, {
        method: 'POST',
        body: bodyOf(n),
      });
      const answer = await response.json();
      if (answer.ActionStatus !== 'OK') throw new Error(`callback ${n} refused: ${JSON.stringify(answer)}`);
    }
  }
  await Promise.all(Array.from({ length: 16 }, lane));
}

/** Resets the peak resident size the kernel keeps for `pid` (VmHWM), so a burst's peak is its own. */
function resetPeak(pid) {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

async function measure(name, cli) {
  const dir = scratchDir('timhook-page-bytes-');
  const server = await startServer(
    name,
    serveArgs({ db: join(dir, 'timhook.db'), token: TOKEN, sdkAppId: SDK_APP_ID, ...(cli ? { cli } : {}) }),
    { ready: SERVE_READY },
  );
  try {
    await record(server.url);
    const sample = await (await fetch(`${server.url}/api/events?after=100&limit=40`)).json();
    const eventBytes = Buffer.byteLength(JSON.stringify(sample.events)) / sample.events.length;
    const sizes = [];
    const counts = [];
    const peaks = [];
    const before = memoryOf(server.pid).rssMb;
    for (let round = 0; round < rounds; round++) {
      resetPeak(server.pid);
      const answers = await Promise.all(
        Array.from({ length: concurrent }, async () => {
          const response = await fetch(`${server.url}/api/events?limit=1000`);
          return response.text();
        }),
      );
      peaks.push(memoryOf(server.pid).peakMb);
      for (const text of answers) {
        sizes.push(Buffer.byteLength(text));
        counts.push(JSON.parse(text).events.length);
      }
    }
    return {
      name,
      eventBytes,
      answerBytes: median(sizes),
      rows: median(counts),
      before,
      peakMb: Math.max(...peaks),
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const version = (cli) => (cli ? cli : 'dist/cli/bin.js (this build)');
const results = [];
if (flags['baseline-cli'])
  results.push(await measure(`baseline ${version(flags['baseline-cli'])}`, flags['baseline-cli']));
results.push(await measure(version(flags.cli), flags.cli));

const mb = (bytes) => (bytes / 1024 / 1024).toFixed(2);
console.log(
  `${events} events of ~${eventKb} KiB; ${concurrent} concurrent GET /api/events?limit=1000, ${rounds} rounds (${process.version}, ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]} load)`,
);
for (const r of results) {
  console.log(
    `${r.name}\n  event JSON ${(r.eventBytes / 1024).toFixed(1)} KiB; answer ${mb(r.answerBytes)} MiB, ${r.rows} rows; ` +
      `serve RSS ${r.before.toFixed(0)} MB before the bursts, peak during a burst ${r.peakMb.toFixed(0)} MB`,
  );
}
