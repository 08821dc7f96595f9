// `npm run bench:scale`: the recorder after one million recorded events.
//   1. Fill a change log through the real store: `toLogEntry` on parsed, validated callbacks, then
//      `append` in batches of 1000 (one transaction each, default durability), over 10,000 groups.
//   2. Start `timhook serve` (the real CLI) on that file; send a burst of callbacks, then read
//      `GET /api/groups/{id}/history?limit=50` for random groups (ids URL-encoded).
//   3. Report the fill time, the file size, callback and history figures, and the serve process's
//      RSS. Targets: RSS < 250 MB, history p99 < 5 ms (one client: the time to answer, not queueing).
//
//   node bench/recorder-scale.mjs [--events 1000000] [--groups 10000] [--duration 10] [--rounds 3]
//                                 [--db existing.db] [--profile] [--keep]
//                                 [--cli other/dist/cli/bin.js]
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openSqliteChangeLog } from '../dist/store/index.js';
import {
  diskReadMbOf,
  measureForeignLoad,
  memoryOf,
  SERVE_READY,
  serveArgs,
  startServer,
  waitForQuiet,
} from './lib/child.mjs';
import { printProfile } from './lib/cpu-profile.mjs';
import { median, runLoad } from './lib/load.mjs';
import { createCallbackSetup, groupIdOf, logEntryOf, SDK_APP_ID, TOKEN } from './lib/traffic.mjs';
import { helpIfAsked } from './lib/usage.mjs';
import { scratchDir } from './lib/scratch.mjs';

helpIfAsked(import.meta.url);
const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    groups: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    // Another build's bin.js, e.g. a copy of dist/ from before a change, to compare.
    cli: { type: 'string' },
    // A log filled by an earlier run (--keep): skip the fill. Its groups must match --groups.
    db: { type: 'string' },
  },
});
const events = Number(flags.events);
const groups = Number(flags.groups);
const batch = Number(flags.batch);
const duration = Number(flags.duration);
const rounds = Number(flags.rounds);
const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const mb = (bytes) => bytes / 1024 / 1024;

const dir = scratchDir('timhook-scale-', { keep: flags.keep });
const db = flags.db ?? join(dir, 'timhook.db');
const profileDir = flags.profile ? join(dir, 'profile') : undefined;
let serve;
try {
  console.log(
    `timhook recorder at scale — node ${process.version}: ${events} events over ${groups} groups, ` +
      `batches of ${batch}, default durability`,
  );
  if (flags.db) console.log(`fill: skipped, using ${db}`);
  else {
    const fill = await fillLog();
    console.log(
      `fill: ${fmt(fill.seconds, 1)} s (${fmt(events / fill.seconds, 0)} events/s, of which ${fmt(fill.appendSeconds, 1)} s in append)`,
    );
  }
  const size = fileSize(db);
  console.log(`db file: ${fmt(mb(size.db), 0)} MB (+ ${fmt(mb(size.wal), 1)} MB WAL)`);

  const started = Date.now();
  serve = await startServer(
    'timhook',
    serveArgs({
      db,
      token: TOKEN,
      sdkAppId: SDK_APP_ID,
      profileDir,
      ...(flags.cli ? { cli: flags.cli } : {}),
    }),
    {
      ready: SERVE_READY,
    },
  );
  console.log(
    `timhook serve ready in ${Date.now() - started} ms, RSS ${fmt(memoryOf(serve.pid).rssMb, 0)} MB`,
  );

  // Callbacks on top of the million: the same groups, bodies never sent before.
  const setupCallback = createCallbackSetup({ groups, counter: { next: events } });
  const burst = await runLoad({ url: serve.url, connections: 50, duration, setupRequest: setupCallback });
  console.log(
    `callbacks on top of ${events} events, 50 connections: ${fmt(burst.rps, 0)} req/s, p50 ${fmt(burst.p50)} ms, p99 ${fmt(burst.p99)} ms, ` +
      `errors/timeouts/non-2xx ${burst.errors}/${burst.timeouts}/${burst.non2xx}`,
  );

  const sample = await (await fetch(`${serve.url}${historyPath(0)}`)).json();
  if (sample.events?.length !== 50 || sample.events[0].groupId !== groupIdOf(0)) {
    throw new Error(`history answered ${JSON.stringify(sample).slice(0, 300)}`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(sample));
  const history = (connections, seconds) =>
    runLoad({ url: serve.url, connections, duration: seconds, setupRequest: setupHistory() });
  await history(1, 2); // warm-up
  // One client, the time to answer: several rounds, each started in a quiet second when there is
  // one, with what else ran on the machine and what the server read from the disk.
  console.log(`history ?limit=50 (${fmt(bytes / 1024, 1)} KiB each), random groups, 1 connection:`);
  const ones = [];
  for (let round = 0; round < rounds; round++) {
    await waitForQuiet();
    const read = diskReadMbOf(serve.pid);
    const measured = await measureForeignLoad([serve.pid], () => history(1, duration));
    const one = measured.result;
    ones.push(one);
    console.log(
      `  round ${round + 1}: ${fmt(one.rps, 0)} req/s, p50 ${fmt(one.p50)} ms, p99 ${fmt(one.p99)} ms, ` +
        `server CPU ${fmt((measured.serverCpuMs * 1000) / (one.rps * duration), 0)} µs/req, ` +
        `disk read ${fmt(diskReadMbOf(serve.pid) - read, 1)} MB, other load ${fmt(measured.foreignCores)} cores, ` +
        `errors/timeouts/non-2xx ${one.errors}/${one.timeouts}/${one.non2xx}`,
    );
  }
  const p50 = median(ones.map((r) => r.p50));
  const p99 = median(ones.map((r) => r.p99));
  console.log(`  median: p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms`);
  const many = await history(50, duration);
  console.log(
    `history, 50 connections: ${fmt(many.rps, 0)} req/s, p50 ${fmt(many.p50)} ms, p99 ${fmt(many.p99)} ms (queueing included), ` +
      `errors/timeouts/non-2xx ${many.errors}/${many.timeouts}/${many.non2xx}`,
  );
  const memory = memoryOf(serve.pid);
  const failures = [burst, many, ...ones].reduce((sum, r) => sum + r.errors + r.timeouts + r.non2xx, 0);
  console.log(
    `serve RSS after callbacks and history: ${fmt(memory.rssMb, 0)} MB (peak ${fmt(memory.peakMb, 0)} MB)`,
  );

  const checks = [
    ['RSS < 250 MB (peak)', memory.peakMb < 250, `${fmt(memory.peakMb, 0)} MB`],
    ['history p99 < 5 ms (1 connection, median)', p99 < 5, `${fmt(p99)} ms`],
    ['no errors, timeouts or non-2xx', failures === 0, String(failures)],
  ];
  console.log('\ntargets:');
  for (const [name, pass, value] of checks)
    console.log(`  ${pass ? 'PASS' : 'MISS'}  ${name.padEnd(36)} ${value}`);
  process.exitCode = checks.every(([, pass]) => pass) ? 0 : 1;
} finally {
  await serve?.stop();
  if (profileDir) printProfile(profileDir);
  if (flags.keep) console.log(`\nkept ${dir}`);
}

/** Writes `events` callbacks through the real store path, as the recorder would log them. */
async function fillLog() {
  // A fill answers no IM backend: no batch of it is refused for taking long.
  const log = openSqliteChangeLog({ path: db, groupCommit: { maxWaitMs: Infinity, maxAnswerMs: Infinity } });
  const start = performance.now();
  let appendMs = 0;
  // Simulated arrivals 10 ms apart; one signed query (RequestTime) per simulated minute.
  const base = Date.now() - events * 10;
  for (let first = 0; first < events; first += batch) {
    const entries = [];
    for (let n = first; n < Math.min(events, first + batch); n++) {
      entries.push(logEntryOf(n, groups, base + n * 10));
    }
    const at = performance.now();
    const results = await log.append(entries);
    appendMs += performance.now() - at;
    if (results.some((r) => r.duplicate)) throw new Error('a fill entry was taken for a duplicate');
    if ((first / batch) % 100 === 99) {
      const done = first + batch;
      const seconds = (performance.now() - start) / 1000;
      process.stdout.write(`  filled ${done} (${fmt(done / seconds, 0)} events/s)\n`);
    }
  }
  const stats = await log.stats();
  await log.close();
  if (stats.lastSeq !== events) throw new Error(`the log holds ${stats.lastSeq} events, not ${events}`);
  return { seconds: (performance.now() - start) / 1000, appendSeconds: appendMs / 1000 };
}

function fileSize(path) {
  const size = (file) => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  return { db: size(path), wal: size(`${path}-wal`) };
}

function historyPath(group) {
  return `/api/groups/${encodeURIComponent(groupIdOf(group))}/history?limit=50`;
}

/** GETs the history of a random group per request. */
function setupHistory() {
  return function setupHistoryRequest(req) {
    req.method = 'GET';
    req.path = historyPath(Math.floor(Math.random() * groups));
    req.body = undefined;
    return req;
  };
}
