// `npm run bench:postgres`: `timhook serve` on PostgreSQL against the same on SQLite, in one run.
//   (a) one `timhook serve` on SQLite: a fresh file, default durability (full);
//   (b) one `timhook serve` on PostgreSQL: a fresh schema (synchronous_commit as the server has it);
//   (c) two `timhook serve` on one fresh PostgreSQL schema, behind round-robin: the load generator
//       spreads its connections over both ports (connection i goes to instance i mod 2).
// Same load as `npm run bench` (bench/recorder.mjs): autocannon, signed requests with a fresh
// RequestTime, a distinct full group-change body per request. Warm-up, then alternating rounds;
// medians and ratios. Server CPU counts the recorder processes and the PostgreSQL backends serving
// them (found by their client ports). After the run, each log must hold every event answered OK
// and nothing beyond what was sent. The bench's schemas are dropped at the end, also on failure.
//
//   node bench/postgres.mjs [--rounds 3] [--duration 10] [--warmup 3] [--connections 50]
//                           [--groups 1000] [--profile] [--keep] [--no-wait]
//                           [--pg postgres://postgres@127.0.0.1:5432/postgres] [--cli other/dist/cli/bin.js]
// The last column of a round counts the checkpoints PostgreSQL started during it (server-wide):
// their writes show in commit latency, and so in p99.
// --profile: CPU-profile the (b) timhook process (node --cpu-prof) and print where its time went.
// --no-wait: start each run at once instead of waiting (≤ 30 s) for a quiet second on the machine.
// --keep: keep the SQLite file, the profiles and the PostgreSQL schemas.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  cpuTimeOf,
  measureForeignLoad,
  memoryOf,
  SERVE_READY,
  serveArgs,
  startServer,
  waitForQuiet,
} from './lib/child.mjs';
import { printProfile } from './lib/cpu-profile.mjs';
import { median, runLoad } from './lib/load.mjs';
import {
  backendPidsOf,
  checkpointsOf,
  connectAdmin,
  DEFAULT_PG_URL,
  dropSchemas,
  logCounts,
  schemaUrl,
} from './lib/pg.mjs';
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
    pg: { type: 'string', default: process.env.TIMHOOK_BENCH_PG ?? DEFAULT_PG_URL },
    // Another build's bin.js, e.g. a copy of dist/ from before a change, to compare.
    cli: { type: 'string' },
    'no-wait': { type: 'boolean', default: false },
  },
});
const rounds = Number(flags.rounds);
const duration = Number(flags.duration);
const warmup = Number(flags.warmup);
const connections = Number(flags.connections);
const groups = Number(flags.groups);

const dir = scratchDir('timhook-bench-pg-', { keep: flags.keep });
const profileDir = flags.profile ? join(dir, 'profile') : undefined;
const counter = { next: 0 };
const setupRequest = createCallbackSetup({ groups, counter });
const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const admin = connectAdmin(flags.pg);
// One run's schemas: unique to this process, so that two runs on one server do not meet.
const stamp = `${process.pid}_${Date.now().toString(36)}`;
const schemas = { one: `timhook_bench_${stamp}_one`, two: `timhook_bench_${stamp}_two` };

const servers = [];
/** Every process started, also those of a server whose other instance failed to start. */
const processes = [];
let cleaning = null;
// Ctrl-C or a kill still stops the servers and drops the schemas.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the servers and dropping the bench schemas`);
    cleanup().finally(() => process.exit(130));
  });
}

try {
  const serve = async (name, db, profile) => {
    const started = await startServer(
      name,
      serveArgs({
        db,
        token: TOKEN,
        sdkAppId: SDK_APP_ID,
        profileDir: profile,
        ...(flags.cli ? { cli: flags.cli } : {}),
      }),
      { ready: SERVE_READY },
    );
    processes.push(started);
    return started;
  };
  await dropSchemas(admin, Object.values(schemas));
  servers.push(
    instances('sqlite', '(a) SQLite, 1 instance', [await serve('sqlite', join(dir, 'timhook.db'))]),
  );
  servers.push(
    instances(
      'pg1',
      '(b) PostgreSQL, 1 instance',
      [await serve('pg1', schemaUrl(flags.pg, schemas.one), profileDir)],
      schemas.one,
    ),
  );
  // Both at once: the second's migration waits on the first's lock, then finds the work done.
  servers.push(
    instances(
      'pg2',
      '(c) PostgreSQL, 2 instances',
      await Promise.all([
        serve('pg2-a', schemaUrl(flags.pg, schemas.two)),
        serve('pg2-b', schemaUrl(flags.pg, schemas.two)),
      ]),
      schemas.two,
    ),
  );
  const [version] = await admin`SELECT current_setting('server_version') AS version,
    current_setting('synchronous_commit') AS sync, current_setting('fsync') AS fsync`;

  console.log(
    `timhook PostgreSQL benchmark — node ${process.version}, PostgreSQL ${version.version} ` +
      `(synchronous_commit=${version.sync}, fsync=${version.fsync}), ${connections} connections, ` +
      `${rounds} rounds × ${duration} s after ${warmup} s warm-up, ${groups} groups, distinct signed bodies ` +
      `(${Buffer.byteLength(bodyOf(0, groups))} B)`,
  );
  for (const server of servers) {
    server.runs = [];
    server.failures = { errors: 0, timeouts: 0, non2xx: 0 };
    server.okTotal = 0;
    server.sentTotal = 0;
    for (const p of server.processes) {
      await checkAnswersOk(p);
      server.okTotal += 1;
      server.sentTotal += 1;
    }
    const warm = await runLoad({ url: server.target, connections, duration: warmup, setupRequest });
    count(server, warm);
    console.log(`warm-up ${server.label.padEnd(28)} ${fmt(warm.rps, 0).padStart(7)} req/s`);
  }

  console.log(
    '\nround  server                          req/s    p50 ms   p99 ms  server CPU µs/req (db)  other load  errors/timeouts/non-2xx  checkpoints',
  );
  for (let round = 0; round < rounds; round++) {
    // Alternate the order so no server always runs first (or right after another's checkpoint).
    const order = servers.map((_, i) => servers[(i + round) % servers.length]);
    for (const server of order) {
      // The machine is shared: start each run in a quiet second when there is one (≤ 30 s wait).
      if (!flags['no-wait']) await waitForQuiet();
      const nodePids = server.processes.map((p) => p.pid);
      const dbPids = server.schema ? await backendPidsOf(admin, nodePids) : [];
      // The backends' CPU is read apart (a backend may end during the run), then added.
      const dbCpu0 = cpuTimesOf(dbPids);
      const checkpoints0 = await checkpointsOf(admin);
      const measured = await measureForeignLoad(nodePids, () =>
        runLoad({ url: server.target, connections, duration, setupRequest }),
      );
      const dbCpuMs = cpuSince(dbCpu0);
      // Started during the run (the server's, whoever caused them): they show in commit latency.
      const checkpoints = (await checkpointsOf(admin)) - checkpoints0;
      const result = measured.result;
      const requests = result.rps * duration;
      result.cpuPerRequest = ((measured.serverCpuMs + dbCpuMs) * 1000) / requests;
      result.dbCpuPerRequest = (dbCpuMs * 1000) / requests;
      result.foreign = Math.max(0, measured.foreignCores - dbCpuMs / (duration * 1000));
      server.runs.push(result);
      count(server, result);
      const db = server.schema ? `(${fmt(result.dbCpuPerRequest, 0)})` : '';
      console.log(
        `${String(round + 1).padEnd(6)} ${server.label.padEnd(30)} ${fmt(result.rps, 0).padStart(7)} ` +
          `${fmt(result.p50).padStart(8)} ${fmt(result.p99).padStart(8)}  ` +
          `${`${fmt(result.cpuPerRequest, 0)} ${db}`.padStart(22)}` +
          `  ${fmt(result.foreign, 2).padStart(6)} cores  ${`${result.errors}/${result.timeouts}/${result.non2xx}`.padEnd(23)}` +
          `  ${fmt(checkpoints, 0)}`,
      );
    }
  }

  console.log(
    '\nmedian of rounds                       req/s    p50 ms   p99 ms  server CPU µs/req (db)  peak RSS MB  errors/timeouts/non-2xx (all runs)',
  );
  const summary = {};
  for (const server of servers) {
    const s = {
      rps: median(server.runs.map((r) => r.rps)),
      p50: median(server.runs.map((r) => r.p50)),
      p99: median(server.runs.map((r) => r.p99)),
      cpu: median(server.runs.map((r) => r.cpuPerRequest)),
      dbCpu: median(server.runs.map((r) => r.dbCpuPerRequest)),
      peakMb: Math.max(...server.processes.map((p) => memoryOf(p.pid).peakMb)),
    };
    summary[server.key] = s;
    const f = server.failures;
    const db = server.schema ? `(${fmt(s.dbCpu, 0)})` : '';
    console.log(
      `       ${server.label.padEnd(30)} ${fmt(s.rps, 0).padStart(7)} ${fmt(s.p50).padStart(8)} ${fmt(s.p99).padStart(8)}` +
        `  ${`${fmt(s.cpu, 0)} ${db}`.padStart(22)}  ${fmt(s.peakMb, 0).padStart(11)}  ${f.errors}/${f.timeouts}/${f.non2xx}`,
    );
  }

  const byKey = (key) => servers.find((s) => s.key === key);
  const perRound = (a, b) => median(byKey(a).runs.map((r, i) => r.rps / byKey(b).runs[i].rps));
  const oneVsSqlite = summary.pg1.rps / summary.sqlite.rps;
  const twoVsOne = summary.pg2.rps / summary.pg1.rps;
  console.log(
    `\nratio (b)/(a): ${fmt(oneVsSqlite * 100, 1)}% of SQLite's req/s (median of per-round ratios ${fmt(perRound('pg1', 'sqlite') * 100, 1)}%)`,
  );
  console.log(
    `ratio (c)/(b): ${fmt(twoVsOne, 2)}× one PostgreSQL instance (median of per-round ratios ${fmt(perRound('pg2', 'pg1'), 2)}×)`,
  );

  // What each log holds, and what each instance's group commits looked like.
  console.log('');
  for (const server of servers) {
    server.log = await readLog(server);
    const l = server.log;
    const commits = await Promise.all(server.processes.map(commitStats));
    const batches = commits.map((c) => `${fmt(c.batch, 1)} events in ${fmt(c.ms, 2)} ms`).join(', ');
    console.log(
      `${server.label} log: ${l.events} events for ${server.okTotal} OK answers and ${server.sentTotal} requests sent` +
        (l.logged ? ' (every OK is logged; nothing beyond what was sent)' : ' (MISMATCH)') +
        (l.gapless ? '' : `; seqs NOT gapless (last seq ${l.lastSeq}, ${l.keys} distinct keys)`) +
        `; ${l.duplicates} taken for duplicates; mean commit ${batches}`,
    );
  }

  const checks = [
    [`(b) ≥ 50% of (a) req/s`, oneVsSqlite >= 0.5, `${fmt(oneVsSqlite * 100, 1)}%`],
    [`(b) p99 < 50 ms`, summary.pg1.p99 < 50, `${fmt(summary.pg1.p99)} ms`],
    [`(c) > (b) req/s`, twoVsOne > 1, `${fmt(twoVsOne, 2)}×`],
  ];
  for (const server of servers) {
    const f = server.failures;
    const l = server.log;
    const tag = server.label.slice(0, 3);
    checks.push(
      [
        `${tag} no errors, timeouts or non-2xx`,
        f.errors + f.timeouts + f.non2xx === 0,
        `${f.errors}/${f.timeouts}/${f.non2xx}`,
      ],
      [
        `${tag} OK answers ≤ events logged ≤ sent`,
        l.logged && l.gapless,
        `${server.okTotal} ≤ ${l.events} ≤ ${server.sentTotal}`,
      ],
      [`${tag} no body taken for a duplicate`, l.duplicates === 0, String(l.duplicates)],
    );
  }
  console.log('\ntargets:');
  for (const [name, pass, value] of checks)
    console.log(`  ${pass ? 'PASS' : 'MISS'}  ${name.padEnd(38)} ${value}`);
  process.exitCode = checks.every(([, pass]) => pass) ? 0 : 1;
} finally {
  await cleanup();
}

/** Stops the servers, prints the profile, drops the schemas and the temporary folder; once. */
function cleanup() {
  cleaning ??= (async () => {
    for (const p of processes) await p.stop();
    if (profileDir) printProfile(profileDir);
    if (flags.keep) {
      console.log(`\nkept ${dir} and the schemas ${Object.values(schemas).join(', ')}`);
    } else {
      await dropSchemas(admin, Object.values(schemas)).catch((error) => {
        console.error(`could not drop the bench schemas: ${error.message}`);
        process.exitCode = 1;
      });
    }
    await admin.end({ timeout: 5 });
  })();
  return cleaning;
}

/** A server under test: one or more `timhook serve` processes, loaded round-robin. */
function instances(key, label, processes, schema) {
  const urls = processes.map((p) => p.url);
  // autocannon takes several URLs and gives connection i the URL i mod n.
  return { key, label, processes, schema, target: urls.length === 1 ? urls[0] : urls };
}

function count(server, result) {
  server.okTotal += result.ok;
  server.sentTotal += result.sent;
  server.failures.errors += result.errors;
  server.failures.timeouts += result.timeouts;
  server.failures.non2xx += result.non2xx;
}

/** CPU time so far of each process of `pids` still running, ms. */
function cpuTimesOf(pids) {
  const times = new Map();
  for (const pid of pids) {
    try {
      times.set(pid, cpuTimeOf(pid));
    } catch {
      // Gone already.
    }
  }
  return times;
}

/** CPU time used since `before` (from cpuTimesOf) by those processes, ms; one that ended counts 0. */
function cpuSince(before) {
  let total = 0;
  for (const [pid, ms] of cpuTimesOf([...before.keys()])) total += ms - before.get(pid);
  return total;
}

/**
 * The log of `server` after its runs: on PostgreSQL counted by SQL (both instances share it), on
 * SQLite by `/readyz` (seqs are gapless there). autocannon stops with requests in flight: those
 * may be logged without their OK being counted, hence a range.
 */
async function readLog(server) {
  const metrics = await Promise.all(
    server.processes.map(async (p) => (await fetch(`${p.url}/metrics`)).text()),
  );
  const duplicates = metrics.reduce(
    (sum, text) => sum + metricValue(text, 'timhook_callbacks_duplicate_total'),
    0,
  );
  let log;
  if (server.schema) log = await logCounts(admin, server.schema);
  else {
    const ready = await (await fetch(`${server.processes[0].url}/readyz`)).json();
    log = { events: ready.lastSeq, lastSeq: ready.lastSeq, keys: ready.lastSeq };
  }
  return {
    ...log,
    duplicates,
    logged: log.events >= server.okTotal && log.events <= server.sentTotal,
    gapless: log.events === log.lastSeq && log.keys === log.events,
  };
}

/** Mean events per group commit and mean commit time (ms) of one process, from `/metrics`. */
async function commitStats(p) {
  const text = await (await fetch(`${p.url}/metrics`)).text();
  const commits = metricValue(text, 'timhook_commit_batch_size_count');
  return {
    batch: metricValue(text, 'timhook_commit_batch_size_sum') / commits,
    ms: (metricValue(text, 'timhook_commit_duration_seconds_sum') * 1000) / commits,
  };
}

function metricValue(text, name) {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
}

/** One signed callback by hand: the server must answer the documented OK envelope. */
async function checkAnswersOk(p) {
  const now = Math.floor(Date.now() / 1000);
  const response = await fetch(`${p.url}/callback?${signedQuery(now)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: bodyOf(counter.next++, groups),
  });
  const answer = await response.json();
  if (response.status !== 200 || answer.ActionStatus !== 'OK' || answer.ErrorCode !== 0) {
    throw new Error(`${p.name} answered ${response.status} ${JSON.stringify(answer)}\n${p.tail()}`);
  }
}
