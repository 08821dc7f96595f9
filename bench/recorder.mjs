// `npm run bench`: throughput and latency of `timhook serve` against four baselines, in one run.
//   (1) bare node:http: read the body, JSON.parse it, answer OK — the ceiling for any receiver;
//   (1b) durable file floor: (1) + the Sign check + the body appended to a file, group commit of
//       one write + fdatasync per turn of the event loop, OK after the fdatasync;
//   (1c) durable SQLite floor: the same, but the group commit is one better-sqlite3 transaction
//       (WAL, synchronous=FULL) per turn into one table (seq, received_at, group_id, raw) — the
//       ceiling for a recorder with timhook's durability contract;
//   (2) naive: Express + express.json() + sha256 Sign compare + one synchronous SQLite INSERT
//       per request (WAL, synchronous=FULL) — what app teams typically write;
//   (3) `timhook serve` (the real CLI), default durability (full), a fresh database.
//   (1d), with --required-work only: the work no recorder with timhook's contract can skip, on
//       (1c)'s commit: timhook's own receiver (Sign, JSON, zod schema, names), its log entry
//       (describeEvent, SHA-256 dedupe key) and its projection planned in memory, and one row of
//       (seq, received_at, group_id, raw, diff) per event. What timhook spends beyond it is its
//       store's own cost (docs/performance.md).
// Same load generator for all: autocannon, signed requests with a fresh RequestTime, a distinct
// full group-change body per request. Warm-up, then alternating rounds; medians and ratios, and the
// bytes each server sends to the disk per request (pages dirtied, all its threads). Then
// the CPU budget: the load generator shares the machine's cores, so each ratio target leaves
// timhook a fixed CPU time per request, printed beside what it uses.
//
//   node bench/recorder.mjs [--rounds 3] [--duration 10] [--warmup 3] [--connections 50]
//                           [--groups 1000] [--profile] [--keep] [--no-wait] [--cli other/dist/cli/bin.js]
//                           [--compare other/dist/cli/bin.js] [--required-work]
// --profile: CPU-profile the timhook process (node --cpu-prof) and print where its time went.
// --no-wait: start each run at once instead of waiting (≤ 30 s) for a quiet second on the machine.
// --compare: also run another build's `timhook serve` as (3b), in the same rounds, and print this
//   build's ratios to it round by round: on a machine whose speed drifts between runs, the way to
//   tell a change from the noise.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  measureForeignLoad,
  memoryOf,
  SERVE_READY,
  serveArgs,
  startServer,
  waitForQuiet,
} from './lib/child.mjs';
import { printProfile } from './lib/cpu-profile.mjs';
import { median, runLoad } from './lib/load.mjs';
import { bodyOf, createCallbackSetup, SDK_APP_ID, signedQuery, TOKEN } from './lib/traffic.mjs';
import { helpIfAsked } from './lib/usage.mjs';
import { scratchDir } from './lib/scratch.mjs';

helpIfAsked(import.meta.url);
const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    groups: { type: 'string', default: '1000' },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    // Another build's bin.js, e.g. a copy of dist/ from before a change, to compare.
    cli: { type: 'string' },
    compare: { type: 'string' },
    'no-wait': { type: 'boolean', default: false },
    'required-work': { type: 'boolean', default: false },
  },
});
const rounds = Number(flags.rounds);
const duration = Number(flags.duration);
const warmup = Number(flags.warmup);
const connections = Number(flags.connections);
const groups = Number(flags.groups);

const dir = scratchDir('timhook-bench-', { keep: flags.keep });
const profileDir = flags.profile ? join(dir, 'profile') : undefined;
const counter = { next: 0 };
const setupRequest = createCallbackSetup({ groups, counter });
const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

const servers = [];
try {
  const here = (file) => new URL(file, import.meta.url).pathname;
  servers.push({
    key: 'bare',
    label: '(1) bare node:http',
    ...(await startServer('bare', [here('./servers/bare-http.mjs')])),
  });
  for (const [key, label, script] of [
    ['file', '(1b) durable file floor', 'durable-file.mjs'],
    ['sqlite', '(1c) durable SQLite floor', 'durable-sqlite.mjs'],
    ...(flags['required-work'] ? [['work', '(1d) required work', 'required-work.mjs']] : []),
  ]) {
    servers.push({
      key,
      label,
      ...(await startServer(key, [here(`./servers/${script}`), join(dir, `${key}.log`), SDK_APP_ID, TOKEN])),
    });
  }
  servers.push({
    key: 'naive',
    label: '(2) naive Express+SQLite',
    ...(await startServer('naive', [
      here('./servers/naive-express.mjs'),
      join(dir, 'naive.db'),
      SDK_APP_ID,
      TOKEN,
    ])),
  });
  servers.push({
    key: 'timhook',
    label: '(3) timhook serve',
    ...(await startServer(
      'timhook',
      serveArgs({
        db: join(dir, 'timhook.db'),
        token: TOKEN,
        sdkAppId: SDK_APP_ID,
        profileDir,
        ...(flags.cli ? { cli: flags.cli } : {}),
      }),
      {
        ready: SERVE_READY,
      },
    )),
  });

  if (flags.compare) {
    servers.push({
      key: 'compare',
      label: '(3b) timhook, --compare build',
      ...(await startServer(
        'compare',
        serveArgs({ db: join(dir, 'compare.db'), token: TOKEN, sdkAppId: SDK_APP_ID, cli: flags.compare }),
        { ready: SERVE_READY },
      )),
    });
  }

  console.log(
    `timhook recorder benchmark — node ${process.version}, ${connections} connections, ` +
      `${rounds} rounds × ${duration} s after ${warmup} s warm-up, ${groups} groups, distinct signed bodies ` +
      `(${Buffer.byteLength(bodyOf(0, groups))} B)`,
  );
  for (const server of servers) {
    await checkAnswersOk(server);
    server.runs = [];
    server.failures = { errors: 0, timeouts: 0, non2xx: 0 };
    server.okTotal = 1; // the check above
    server.sentTotal = 1;
    const warm = await runLoad({ url: server.url, connections, duration: warmup, setupRequest });
    count(server, warm);
    console.log(`warm-up ${server.label.padEnd(26)} ${fmt(warm.rps, 0).padStart(7)} req/s`);
  }

  console.log(
    '\nround  server                        req/s    p50 ms   p99 ms  server CPU µs/req  other load  errors/timeouts/non-2xx',
  );
  for (let round = 0; round < rounds; round++) {
    // Alternate the order so no server always runs first (or right after the disk-heavy one).
    const order = servers.map((_, i) => servers[(i + round) % servers.length]);
    for (const server of order) {
      // The machine is shared: start each run in a quiet second when there is one (≤ 30 s wait).
      if (!flags['no-wait']) await waitForQuiet();
      const measured = await measureForeignLoad([server.pid], () =>
        runLoad({ url: server.url, connections, duration, setupRequest }),
      );
      const result = measured.result;
      result.cpuPerRequest = (measured.serverCpuMs * 1000) / (result.rps * duration);
      result.loadCpuPerRequest = (measured.ownCpuMs * 1000) / (result.rps * duration);
      result.diskKbPerRequest = measured.serverDiskBytes / 1024 / (result.rps * duration);
      result.foreign = measured.foreignCores;
      server.runs.push(result);
      count(server, result);
      console.log(
        `${String(round + 1).padEnd(6)} ${server.label.padEnd(28)} ${fmt(result.rps, 0).padStart(7)} ` +
          `${fmt(result.p50).padStart(8)} ${fmt(result.p99).padStart(8)}  ${fmt(result.cpuPerRequest, 0).padStart(17)}` +
          `  ${fmt(result.foreign, 2).padStart(6)} cores  ${result.errors}/${result.timeouts}/${result.non2xx}`,
      );
    }
  }

  console.log(
    '\nmedian of rounds                     req/s    p50 ms   p99 ms  server CPU µs/req  disk KB/req  peak RSS MB  errors/timeouts/non-2xx (all runs)',
  );
  const summary = {};
  for (const server of servers) {
    const s = {
      rps: median(server.runs.map((r) => r.rps)),
      p50: median(server.runs.map((r) => r.p50)),
      p99: median(server.runs.map((r) => r.p99)),
      cpu: median(server.runs.map((r) => r.cpuPerRequest)),
      loadCpu: median(server.runs.map((r) => r.loadCpuPerRequest)),
      diskKb: median(server.runs.map((r) => r.diskKbPerRequest)),
      memory: memoryOf(server.pid),
    };
    summary[server.key] = s;
    const f = server.failures;
    console.log(
      `       ${server.label.padEnd(28)} ${fmt(s.rps, 0).padStart(7)} ${fmt(s.p50).padStart(8)} ${fmt(s.p99).padStart(8)}` +
        `  ${fmt(s.cpu, 0).padStart(17)}  ${fmt(s.diskKb, 1).padStart(11)}  ${fmt(s.memory.peakMb, 0).padStart(11)}` +
        `  ${f.errors}/${f.timeouts}/${f.non2xx}`,
    );
  }

  const perRound = (a, b) =>
    median(
      servers
        .find((s) => s.key === a)
        .runs.map((r, i) => r.rps / servers.find((s) => s.key === b).runs[i].rps),
    );
  const floor = summary.sqlite;
  const vsFloor = {
    rps: summary.timhook.rps / floor.rps,
    cpu: summary.timhook.cpu / floor.cpu,
    p99: summary.timhook.p99 / floor.p99,
  };
  const labels = { file: '1b', sqlite: '1c', work: '1d' };
  for (const key of ['file', 'sqlite', ...(summary.work ? ['work'] : [])]) {
    const base = summary[key];
    console.log(
      `${key === 'work' ? '' : '\n'}ratio (3)/(${labels[key]}): ${fmt((summary.timhook.rps / base.rps) * 100, 1)}% of its req/s ` +
        `(median of per-round ratios ${fmt(perRound('timhook', key) * 100, 1)}%), ` +
        `${fmt(summary.timhook.cpu / base.cpu)}× its server CPU per request, ${fmt(summary.timhook.p99 / base.p99)}× its p99`,
    );
  }
  if (summary.work) {
    console.log(
      `ratio (1d)/(1c): ${fmt((summary.work.rps / floor.rps) * 100, 1)}% of its req/s, ` +
        `${fmt(summary.work.cpu / floor.cpu)}× its server CPU per request, ${fmt(summary.work.p99 / floor.p99)}× its p99`,
    );
  }
  const vsBare = summary.timhook.rps / summary.bare.rps;
  const vsNaive = summary.timhook.rps / summary.naive.rps;
  console.log(
    `ratio (3)/(1): ${fmt(vsBare * 100, 1)}% of bare node:http (median of per-round ratios ${fmt(perRound('timhook', 'bare') * 100, 1)}%)`,
  );
  console.log(
    `ratio (3)/(2): ${fmt(vsNaive, 1)}× the naive handler (median of per-round ratios ${fmt(perRound('timhook', 'naive'), 1)}×)`,
  );

  if (flags.compare) printComparison(servers);
  printCpuBudget(summary);

  const timhook = servers.find((s) => s.key === 'timhook');
  // autocannon stops with requests in flight: those may be logged without their OK being counted.
  const ready = await (await fetch(`${timhook.url}/readyz`)).json();
  const logged = ready.lastSeq >= timhook.okTotal && ready.lastSeq <= timhook.sentTotal;
  const metrics = await (await fetch(`${timhook.url}/metrics`)).text();
  const duplicates = Number(/^timhook_callbacks_duplicate_total (\S+)$/m.exec(metrics)?.[1] ?? Number.NaN);
  console.log(
    `timhook log: ${ready.lastSeq} events for ${timhook.okTotal} OK answers and ${timhook.sentTotal} requests sent` +
      (logged ? ' (every OK is logged; nothing beyond what was sent)' : ' (MISMATCH)') +
      `; ${duplicates} taken for duplicates`,
  );

  const f = timhook.failures;
  // Against the durable SQLite floor: the same durability contract, on the same machine, in this run.
  const checks = [
    [`(3) ≥ 60% of (1c) req/s`, vsFloor.rps >= 0.6, `${fmt(vsFloor.rps * 100, 1)}%`],
    [`(3) server CPU/req ≤ 2.5× (1c)'s`, vsFloor.cpu <= 2.5, `${fmt(vsFloor.cpu)}×`],
    [`(3) p99 ≤ 3× (1c)'s`, vsFloor.p99 <= 3, `${fmt(vsFloor.p99)}×`],
    [`(3) ≥ 5× (2) req/s`, vsNaive >= 5, `${fmt(vsNaive, 1)}×`],
    [
      `(3) no errors, timeouts or non-2xx`,
      f.errors + f.timeouts + f.non2xx === 0,
      `${f.errors}/${f.timeouts}/${f.non2xx}`,
    ],
    [
      `(3) OK answers ≤ events logged ≤ sent`,
      logged,
      `${timhook.okTotal} ≤ ${ready.lastSeq} ≤ ${timhook.sentTotal}`,
    ],
    [`(3) no body taken for a duplicate`, duplicates === 0, String(duplicates)],
  ];
  console.log('\ntargets:');
  for (const [name, pass, value] of checks)
    console.log(`  ${pass ? 'PASS' : 'MISS'}  ${name.padEnd(38)} ${value}`);
  // The first targets, against a server that keeps nothing: shown for comparison, not required.
  console.log('for reference (not targets):');
  console.log(`        (3) vs 60% of (1) req/s                ${fmt(vsBare * 100, 1)}%`);
  console.log(`        (3) p99 vs 25 ms                       ${fmt(summary.timhook.p99)} ms`);
  process.exitCode = checks.every(([, pass]) => pass) ? 0 : 1;
} finally {
  for (const server of servers) await server.stop();
  if (profileDir) printProfile(profileDir);
  if (flags.keep) console.log(`\nkept ${dir}`);
}

/** This build against the --compare build, each ratio the median of the rounds' ratios. */
function printComparison(servers) {
  const runsOf = (key) => servers.find((s) => s.key === key).runs;
  const [mine, other] = [runsOf('timhook'), runsOf('compare')];
  const ratio = (field) => median(mine.map((r, i) => r[field] / other[i][field]));
  console.log(
    `ratio (3)/(3b), median of per-round ratios: ${fmt(ratio('cpuPerRequest'))}× its server CPU per request, ` +
      `${fmt(ratio('rps') * 100, 1)}% of its req/s, ${fmt(ratio('p99'))}× its p99, ` +
      `${fmt(ratio('diskKbPerRequest'))}× its disk KB per request`,
  );
}

/**
 * What the ratio targets leave timhook, in CPU per request: the load generator runs on the same
 * cores, so at N req/s the cores give cores / N µs per request, less what the load generator takes.
 * When timhook uses more than that, no pipelining can reach the target on this machine.
 */
function printCpuBudget(summary) {
  const cores = availableParallelism();
  const { bare, naive, timhook } = summary;
  const busy = (s) => ((s.cpu + s.loadCpu) * s.rps) / 1e6;
  console.log(
    `\nCPU per request on this machine's ${cores} cores, shared with the load generator (medians):`,
  );
  for (const [label, s] of [
    ['(1) bare', bare],
    ['(1b) file', summary.file],
    ['(1c) SQLite', summary.sqlite],
    ['(2) naive', naive],
    ['(3) timhook', timhook],
  ]) {
    console.log(
      `  ${label.padEnd(12)} server ${fmt(s.cpu, 0).padStart(4)} µs + load generator ${fmt(s.loadCpu, 0).padStart(3)} µs` +
        ` at ${fmt(s.rps, 0).padStart(6)} req/s: ${fmt(busy(s))} cores busy`,
    );
  }
  for (const [label, rps] of [
    ['60% of (1c)', 0.6 * summary.sqlite.rps],
    ['60% of (1)', 0.6 * bare.rps],
    ['5× (2)', 5 * naive.rps],
  ]) {
    const budget = (cores * 1e6) / rps - timhook.loadCpu;
    console.log(
      `  ${label.padEnd(11)} = ${fmt(rps, 0)} req/s leaves timhook at most ${fmt(budget, 0)} µs per request` +
        ` (it uses ${fmt(timhook.cpu, 0)})`,
    );
  }
}

function count(server, result) {
  server.okTotal += result.ok;
  server.sentTotal += result.sent;
  server.failures.errors += result.errors;
  server.failures.timeouts += result.timeouts;
  server.failures.non2xx += result.non2xx;
}

/** One signed callback by hand: the server must answer the documented OK envelope. */
async function checkAnswersOk(server) {
  const now = Math.floor(Date.now() / 1000);
  const response = await fetch(`${server.url}/callback?${signedQuery(now)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: bodyOf(counter.next++, groups),
  });
  const answer = await response.json();
  if (response.status !== 200 || answer.ActionStatus !== 'OK' || answer.ErrorCode !== 0) {
    throw new Error(
      `${server.label} answered ${response.status} ${JSON.stringify(answer)}\n${server.tail()}`,
    );
  }
}
