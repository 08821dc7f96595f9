// `npm run bench:relay`: the relay of `timhook serve` to each sink, against a bare client, in one run.
//   (1) drain: a backlog of N recorded changes (default 200,000) is relayed to one sink by the real
//       CLI (`timhook serve --config` with that sink only), from start to the last acknowledgement;
//       events/s. Baseline: a bare client of the same library publishing the same payloads with
//       the same batching (pipelined XADD, JetStream publishes with the acks in flight, a confirm
//       channel, keep-alive POSTs) — the transport's ceiling on this machine, for context.
//   (2) delay: a steady R callbacks/s (default 2,000) into `timhook serve` with one sink; for each
//       change, the time from the callback's OK to its arrival at a consumer of the sink (the
//       webhook's request, the JetStream/Redis/RabbitMQ consumer); p50/p99/max.
// Services: NATS (JetStream) 127.0.0.1:4222, Redis 6379, RabbitMQ 5672 (`bash .ci/services`).
//
// With `--baseline-dist other/dist` (another build, e.g. a worktree of the commit before a change,
// built), every drain and delay round runs on both builds, `--rounds` times (the baseline first in
// odd rounds, this build first in even ones), from the same backlog and with the same load; the
// medians and the ratio this build / baseline are printed at the end.
//
//   node bench/relay.mjs [--events 200000] [--rate 2000] [--seconds 10] [--sinks nats,redis,rabbitmq,http]
//                        [--skip drain|delay] [--profile] [--baseline-dist other/dist] [--rounds 2]
// --profile: CPU-profile each `timhook serve` (node --cpu-prof) and print where its time went.
import { createHmac, randomBytes } from 'node:crypto';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request as httpRequest } from 'node:http';
import { connect as netConnect } from 'node:net';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createInbox, headers as natsHeaders, connect as natsConnect } from '@nats-io/transport-node';
import { connect as amqpConnect } from 'amqplib';
import { createClient } from 'redis';
import { printProfile } from './lib/cpu-profile.mjs';
import {
  cpuTimeOf,
  machineBusyMs,
  SERVE_READY,
  serveArgs,
  spawnNode,
  startServer,
  waitForQuiet,
} from './lib/child.mjs';
import { median, percentile } from './lib/load.mjs';
import { bodyOf, COMMAND, SDK_APP_ID, signedQuery, TOKEN } from './lib/traffic.mjs';
import { helpIfAsked } from './lib/usage.mjs';
import { scratchDir } from './lib/scratch.mjs';

helpIfAsked(import.meta.url);
const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    sender: { type: 'boolean', default: false },
    first: { type: 'string', default: '0' },
    events: { type: 'string', default: '200000' },
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '10' },
    groups: { type: 'string', default: '1000' },
    sinks: { type: 'string', default: 'nats,redis,rabbitmq,http' },
    'http-concurrency': { type: 'string', default: '16' },
    'webhook-receiver': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    skip: { type: 'string', default: '' },
    // Another build's dist/ to measure beside this one, round by round.
    'baseline-dist': { type: 'string' },
    rounds: { type: 'string' },
  },
});

/** Bodies sent by `sendSteady`, numbered after the backlog's so that none is a duplicate. */
let nextBody = 10_000_000;
const takeBodies = (count) => {
  nextBody += count;
  return nextBody - count;
};

if (flags['webhook-receiver']) runWebhookReceiver();
else if (flags.sender) {
  const [base] = positionals;
  await runSender(base, Number(flags.rate), Number(flags.seconds), Number(flags.groups), Number(flags.first));
} else await main();

async function main() {
  const EVENTS = Number(flags.events);
  const RATE = Number(flags.rate);
  const SECONDS = Number(flags.seconds);
  const GROUPS = Number(flags.groups);
  const SINKS = flags.sinks.split(',');
  const dir = scratchDir('timhook-bench-relay-', { keep: flags.keep });
  const run = randomBytes(3).toString('hex');
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const fmt = (n, digits = 0) =>
    Number.isFinite(n)
      ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
      : 'n/a';
  const cleanups = [];
  const results = { drain: {}, delay: {} };
  const profiles = [];
  const skip = new Set(flags.skip.split(',').filter(Boolean));
  const drainSinks = skip.has('drain') ? [] : SINKS;
  const delaySinks = skip.has('delay') ? [] : SINKS;

  try {
    const services = await connectServices(secret);
    cleanups.push(() => services.close());
    const receiver = await startServer(
      'webhook-receiver',
      [new URL(import.meta.url).pathname, '--webhook-receiver'],
      {
        env: { BENCH_WEBHOOK_SECRET: secret },
      },
    );
    cleanups.push(() => receiver.stop());

    console.log(
      `timhook relay benchmark — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ` +
        `NATS ${services.natsVersion}, Redis ${services.redisVersion}, RabbitMQ ${services.rabbitVersion}, all on loopback`,
    );
    console.log(
      `relay settings: batchSize 500 and checkpoint 250 ms (the defaults); HTTP: concurrency ` +
        `${flags['http-concurrency']} connections (default 4), pipelining 8 requests on each when all ` +
        `are busy (the default); durability full; ${GROUPS} groups; ` +
        'payload "event" (the recorded event as the API returns it); the machine is shared: "machine busy" ' +
        'is every process, on all cores; "other load" is what of it was neither the round nor its tools',
    );

    // Each round runs on every build, the baseline first in odd rounds and last in even ones: the
    // second of two runs of one build against itself comes out slower, so neither build always
    // goes second.
    const baselineDist = flags['baseline-dist'];
    const builds = [
      ...(baselineDist
        ? [{ key: 'baseline', suffix: ' base', cli: resolve(baselineDist, 'cli/bin.js') }]
        : []),
      { key: 'timhook', suffix: '', cli: undefined },
    ];
    const buildsOf = (round) => (round % 2 === 0 ? builds : [...builds].reverse());
    const ROUNDS = Number(flags.rounds ?? (baselineDist ? 2 : 1));
    if (baselineDist) {
      console.log(
        `builds: "base" rows are ${resolve(baselineDist)}, the others ${new URL('../dist', import.meta.url).pathname}; ` +
          `${ROUNDS} rounds, the baseline first in odd rounds, this build first in even ones`,
      );
    }

    // The backlog: real signed-callback bodies through the receiver, logged in batches of 1000.
    const started = performance.now();
    const backlog = join(dir, 'backlog.db');
    // Logged by the oldest build's store, so that every build can open it (a newer one migrates it).
    const built = drainSinks.length > 0 ? await buildBacklog(backlog, EVENTS, GROUPS, baselineDist) : null;
    // Each build drains a copy of the backlog already in its own format: a newer build migrates
    // the file here, once, so that no round pays for the migration or drains a WAL it left behind.
    const backlogOf = {};
    if (built) {
      for (const build of builds) {
        backlogOf[build.key] = join(dir, `backlog-${build.key}.db`);
        copyFileSync(backlog, backlogOf[build.key]);
        const dist = build.cli ? resolve(build.cli, '../..') : new URL('../dist', import.meta.url).pathname;
        const { openSqliteChangeLog } = await import(pathToFileURL(resolve(dist, 'store/index.js')).href);
        await openSqliteChangeLog({ path: backlogOf[build.key], durability: 'normal' }).close();
      }
    }
    if (built) {
      console.log(
        `\nbacklog: ${fmt(EVENTS)} changes logged in ${fmt((performance.now() - started) / 1000, 1)} s ` +
          `(payload ${fmt(built.payloadBytes)} B each on average)`,
      );
    }

    const sinkSettings = (sink, names) =>
      ({
        nats: {
          name: 'nats',
          type: 'nats',
          servers: 'nats://127.0.0.1:4222',
          subject: `${names.nats}.group.{groupId}`,
        },
        redis: { name: 'redis', type: 'redis', url: 'redis://127.0.0.1:6379', stream: names.redis },
        rabbitmq: {
          name: 'rabbitmq',
          type: 'rabbitmq',
          url: 'amqp://guest@127.0.0.1:5672',
          passwordEnv: 'BENCH_RABBIT_PASSWORD',
          exchange: names.rabbit,
          routingKey: 'group.{groupId}',
        },
        http: {
          name: 'http',
          type: 'http',
          url: `${receiver.url}/hook`,
          secretEnv: 'BENCH_WEBHOOK_SECRET',
          concurrency: Number(flags['http-concurrency']),
        },
      })[sink];
    const serveEnv = { BENCH_RABBIT_PASSWORD: 'guest', BENCH_WEBHOOK_SECRET: secret };

    async function startServe(label, db, sink, names, cli) {
      const config = join(dir, `${label}.config.json`);
      writeFileSync(config, JSON.stringify({ sinks: sink ? [sinkSettings(sink, names)] : [] }));
      const profileDir = flags.profile ? join(dir, `profile-${label}`) : undefined;
      const serve = await startServer(
        label,
        serveArgs({ db, token: TOKEN, sdkAppId: SDK_APP_ID, profileDir, cli, extra: ['--config', config] }),
        { ready: SERVE_READY, env: serveEnv },
      );
      if (!profileDir) return serve;
      // The profile is written when the process exits: print it after `stop`.
      profiles.push(profileDir);
      return serve;
    }

    /** The steady load on `serve` after a second's warm-up, measured. */
    async function measureSteady(serve) {
      await sendSteady(serve.url, RATE, 1, GROUPS, takeBodies(RATE)); // warm-up; not counted
      await waitForQuiet({ maxWaitMs: 20_000 });
      return measure(
        () => sendSteady(serve.url, RATE, SECONDS, GROUPS, takeBodies(RATE * SECONDS)),
        serve.pid,
        [receiver.pid],
      );
    }

    /** One delay round of `sink` on `build`: prints its row, resolves with its figures. */
    async function delayRound(sink, round, build) {
      const names = await services.prepare(sink, `delay_${run}_${round}_${build.key}`);
      const db = join(dir, `delay-${sink}-${round}-${build.key}.db`);
      const serve = await startServe(`delay-${sink}-${round}-${build.key}`, db, sink, names, build.cli);
      const arrivals = await services.follow(sink, names, receiver);
      const measured = await measureSteady(serve);
      const { result: sent, machine, worker } = measured;
      const deadline = Date.now() + 15_000;
      const missing = () => [...sent.ok.keys()].filter((name) => arrivals.at(name) === undefined).length;
      while (Date.now() < deadline) {
        await arrivals.refresh();
        if (missing() === 0) break;
        await sleep(100);
      }
      await arrivals.stop();
      const metrics = await (await fetch(`${serve.url}/metrics`)).text();
      await serve.stop();
      await services.cleanup(sink, names, receiver);
      rmSync(db, { force: true });
      const delays = [];
      for (const [name, okAt] of sent.ok) {
        const at = arrivals.at(name);
        if (at !== undefined) delays.push(at - okAt);
      }
      delays.sort((a, b) => a - b);
      const answers = [...sent.latency].sort((a, b) => a - b);
      const p50 = percentile(delays, 0.5);
      const p99 = percentile(delays, 0.99);
      console.log(
        `    ${`${sink}${build.suffix}`.padEnd(14)} ${String(sent.sent).padStart(6)} ${String(sent.ok.size).padStart(6)} ${String(delays.length).padStart(9)} ` +
          `${fmt(p50, 1).padStart(6)} ${fmt(p99, 1).padStart(6)} ${fmt(delays.at(-1), 1).padStart(7)}   ` +
          `${fmt(percentile(answers, 0.5), 1).padStart(8)} / ${fmt(percentile(answers, 0.99), 1).padEnd(10)}` +
          `${fmt(worker, 2).padStart(6)} cores ${fmt(machine, 2).padStart(7)} cores ${fmt(otherLoad(measured), 2).padStart(6)} cores  ` +
          `≤ ${histogramQuantile(metrics, sink, 0.5)} / ≤ ${histogramQuantile(metrics, sink, 0.99)} ms`,
      );
      return { p50, p99, complete: delays.length === sent.ok.size, cpu: worker };
    }

    // (1) drain
    if (drainSinks.length > 0)
      console.log(
        '\n(1) drain of the backlog    bare client ev/s  timhook ev/s  ratio  seconds  timhook CPU  ' +
          'CPU µs/event bare / timhook  machine busy  check',
      );
    for (const sink of drainSinks) {
      await waitForQuiet({ maxWaitMs: 20_000 });
      const names = await services.prepare(sink, `bare_${run}`);
      const bare = await measure(() => services.bare(sink, names, built.payloads, receiver));
      const bareCheck = await services.count(sink, names, receiver);
      await services.cleanup(sink, names, receiver);
      results.drain[sink] = Object.fromEntries(builds.map((build) => [build.key, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const build of buildsOf(round)) {
          const drainNames = await services.prepare(sink, `drain_${run}_${round}_${build.key}`);
          const db = join(dir, `drain-${sink}-${round}-${build.key}.db`);
          copyFileSync(backlogOf[build.key], db);
          await waitForQuiet({ maxWaitMs: 20_000 });
          const label = `drain-${sink}-${round}-${build.key}`;
          const serve = await startServe(label, db, sink, drainNames, build.cli);
          const drained = await measure(() => waitForCursor(serve.url, sink, EVENTS), serve.pid);
          const delivered = await services.count(sink, drainNames, receiver);
          await serve.stop();
          await services.cleanup(sink, drainNames, receiver);
          rmSync(db, { force: true });
          const rate = EVENTS / drained.seconds;
          const bareRate = EVENTS / bare.seconds;
          const cpuPerEvent = (drained.worker * drained.seconds * 1e6) / EVENTS;
          results.drain[sink][build.key].push({ rate, cpuPerEvent });
          const check =
            delivered.count >= EVENTS && bareCheck.count >= EVENTS
              ? `all ${fmt(EVENTS)} at the consumer${delivered.note ?? ''}`
              : `MISSING: ${delivered.count} delivered, ${bareCheck.count} by the bare client`;
          console.log(
            `    ${`${sink}${build.suffix}`.padEnd(24)} ${fmt(bareRate).padStart(16)} ${fmt(rate).padStart(13)} ${fmt(rate / bareRate, 2).padStart(6)} ` +
              `${fmt(drained.seconds, 2).padStart(8)} ${fmt(drained.worker, 2).padStart(7)} cores ` +
              `${fmt((bare.worker * bare.seconds * 1e6) / EVENTS).padStart(17)} / ${fmt(cpuPerEvent).padEnd(8)}` +
              `${fmt(drained.machine, 2).padStart(7)} cores  ${check}`,
          );
        }
      }
    }

    // (2) delay under a steady rate
    if (delaySinks.length > 0) {
      console.log(
        `\n(2) ${fmt(RATE)} callbacks/s for ${SECONDS} s, OK → arrival at the sink's consumer (ms)` +
          '\n    sink             sent     OK   arrived    p50    p99     max   callback OK p50/p99 ms  timhook CPU  machine busy  other load  relay receipt→ack p50/p99 (its histogram)',
      );
      // Baseline: the same load on a recorder with no sink.
      const serve = await startServe('delay-none', join(dir, 'delay-none.db'), null, null);
      const measured = await measureSteady(serve);
      const { result: sent, machine, worker } = measured;
      await serve.stop();
      const answers = [...sent.latency].sort((a, b) => a - b);
      console.log(
        `    ${'(no sink)'.padEnd(14)} ${String(sent.sent).padStart(6)} ${String(sent.ok.size).padStart(6)} ${'-'.padStart(9)} ` +
          `${'-'.padStart(6)} ${'-'.padStart(6)} ${'-'.padStart(7)}   ` +
          `${fmt(percentile(answers, 0.5), 1).padStart(8)} / ${fmt(percentile(answers, 0.99), 1).padEnd(10)}` +
          `${fmt(worker, 2).padStart(6)} cores ${fmt(machine, 2).padStart(7)} cores ${fmt(otherLoad(measured), 2).padStart(6)} cores`,
      );
    }
    for (const sink of delaySinks) {
      results.delay[sink] = Object.fromEntries(builds.map((build) => [build.key, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const build of buildsOf(round))
          results.delay[sink][build.key].push(await delayRound(sink, round, build));
      }
    }

    if (baselineDist) {
      console.log(`\nthis build / baseline, medians of ${ROUNDS} rounds:`);
      const of = (runs, field) => median(runs.map((r) => r[field]));
      for (const sink of drainSinks) {
        const { baseline, timhook } = results.drain[sink];
        console.log(
          `    ${sink.padEnd(9)} drain ${fmt(of(timhook, 'rate'))} / ${fmt(of(baseline, 'rate'))} ev/s = ` +
            `${fmt(of(timhook, 'rate') / of(baseline, 'rate'), 2)}; timhook CPU ${fmt(of(timhook, 'cpuPerEvent'))} / ` +
            `${fmt(of(baseline, 'cpuPerEvent'))} µs/event = ${fmt(of(timhook, 'cpuPerEvent') / of(baseline, 'cpuPerEvent'), 2)}`,
        );
      }
      for (const sink of delaySinks) {
        const { baseline, timhook } = results.delay[sink];
        console.log(
          `    ${sink.padEnd(9)} delay p50 ${fmt(of(timhook, 'p50'), 1)} / ${fmt(of(baseline, 'p50'), 1)} ms, ` +
            `p99 ${fmt(of(timhook, 'p99'), 1)} / ${fmt(of(baseline, 'p99'), 1)} ms = ${fmt(of(timhook, 'p99') / of(baseline, 'p99'), 2)}; ` +
            `timhook CPU ${fmt(of(timhook, 'cpu'), 2)} / ${fmt(of(baseline, 'cpu'), 2)} cores`,
        );
      }
    }

    console.log('\ntargets:');
    const checks = [];
    for (const sink of ['nats', 'redis'].filter((s) => drainSinks.includes(s))) {
      const rate = median(results.drain[sink].timhook.map((r) => r.rate));
      checks.push([`${sink} drains ≥ 20,000 events/s`, rate >= 20_000, `${fmt(rate)}/s`]);
    }
    for (const sink of delaySinks) {
      const runs = results.delay[sink].timhook;
      const p99 = median(runs.map((r) => r.p99));
      checks.push([
        `${sink} OK → sink p99 < 100 ms, all arrived`,
        p99 < 100 && runs.every((r) => r.complete),
        `${fmt(p99, 1)} ms`,
      ]);
    }
    for (const [name, pass, value] of checks)
      console.log(`  ${pass ? 'PASS' : 'MISS'}  ${name.padEnd(42)} ${value}`);
    process.exitCode = checks.every(([, pass]) => pass) ? 0 : 1;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => console.error(error));
    for (const profile of profiles) printProfile(profile);
    if (flags.keep) console.log(`kept ${dir}`);
  }

  /** Logs `count` changes the way the recorder does (receiver → toLogEntry → append in batches). */
  async function buildBacklog(path, count, groups, dist = new URL('../dist', import.meta.url).pathname) {
    const { createReceiver } = await import(pathToFileURL(resolve(dist, 'receiver/index.js')).href);
    const { openSqliteChangeLog, toLogEntry } = await import(
      pathToFileURL(resolve(dist, 'store/index.js')).href
    );
    // A fill answers no IM backend: no batch of it is refused for taking long.
    const log = openSqliteChangeLog({
      path,
      durability: 'normal',
      groupCommit: { maxWaitMs: Infinity, maxAnswerMs: Infinity },
    });
    const receiver = createReceiver({ sdkAppId: SDK_APP_ID, log: () => {} });
    let captured;
    receiver.onAny((event) => {
      captured = event;
    });
    const query = new URLSearchParams({
      SdkAppid: SDK_APP_ID,
      CallbackCommand: COMMAND,
      contenttype: 'json',
      ClientIP: '127.0.0.1',
      OptPlatform: 'RESTAPI',
    });
    const payloads = [];
    let bytes = 0;
    for (let from = 0; from < count; from += 1000) {
      const entries = [];
      for (let n = from; n < Math.min(count, from + 1000); n++) {
        await receiver.receive({ query, rawBody: bodyOf(n, groups) });
        entries.push(toLogEntry(captured));
      }
      for (const result of await log.append(entries)) {
        const body = JSON.stringify(result.event);
        bytes += body.length;
        payloads.push({ id: `${SDK_APP_ID}:${result.seq}`, groupId: result.event.groupId, body });
      }
    }
    await log.close();
    return { payloads, payloadBytes: bytes / count };
  }
}

/**
 * Runs `task`, timing it; `machine`: cores busy on the whole machine meanwhile (this benchmark,
 * the servers and whatever else runs); `worker`: cores used by process `pid` (timhook serve) or,
 * without one, by this process (the bare client); `own`: cores used by this process and by the
 * processes `others` (the webhook receiver), for {@link otherLoad}.
 */
async function measure(task, pid, others = []) {
  const busy0 = machineBusyMs();
  const self0 = process.cpuUsage();
  const worker0 = pid ? cpuTimeOf(pid) : 0;
  const othersCpu = () => others.reduce((sum, other) => sum + cpuTimeOf(other), 0);
  const others0 = othersCpu();
  const started = performance.now();
  const result = await task();
  const elapsed = performance.now() - started;
  const self = process.cpuUsage(self0);
  const selfMs = (self.user + self.system) / 1000;
  const worker = pid ? cpuTimeOf(pid) - worker0 : selfMs;
  return {
    result,
    seconds: elapsed / 1000,
    machine: (machineBusyMs() - busy0) / elapsed,
    worker: worker / elapsed,
    own: (selfMs + othersCpu() - others0) / elapsed,
  };
}

/**
 * Cores busy meanwhile on something else than the round itself: the machine less timhook serve,
 * this process, the webhook receiver and the load sender (its own CPU, which it reports). For a
 * broker sink it includes the broker. A round with much of it is a noisy round.
 */
function otherLoad({ machine, worker, own, seconds, result }) {
  return Math.max(0, machine - worker - own - result.senderCpuMs / 1000 / seconds);
}

/** Polls `GET /api/relay` until the sink's cursor reaches `lastSeq`. */
async function waitForCursor(base, sink, lastSeq) {
  for (;;) {
    const { sinks } = await (await fetch(`${base}/api/relay`)).json();
    const status = sinks.find((s) => s.sink === sink);
    if (status && status.cursor >= lastSeq) return;
    if (status?.deadLetters > 0)
      throw new Error(`${sink}: ${status.deadLetters} dead letters (${status.lastError})`);
    await sleep(20);
  }
}

/**
 * Sends signed callbacks at a steady `rate` for `seconds` from a process of its own (so that the
 * consumers' clocks here are not held up by the sending), each a distinct change numbered from
 * `first`. Resolves with when each OK came (epoch ms, by the change's Name) and answer latencies.
 */
function sendSteady(base, rate, seconds, groups, first) {
  const args = ['--sender', base, '--rate', String(rate), '--seconds', String(seconds)];
  args.push('--groups', String(groups), '--first', String(first));
  const child = spawnNode([new URL(import.meta.url).pathname, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    out += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`the sender exited with ${code}`));
      const { sent, ok, latency, cpuMs } = JSON.parse(out);
      resolve({ sent, ok: new Map(ok), latency, senderCpuMs: cpuMs });
    });
  });
}

/**
 * `--sender`: the open-loop load generator of `sendSteady` (one tick every 5 ms). Like autocannon,
 * it speaks HTTP/1.1 over keep-alive sockets itself (a request is one write; an answer is read by
 * its Content-Length): `node:http`'s client would take half a core at 2,000 requests/s, CPU the
 * recorder under test and the sinks' servers need on this machine.
 */
async function runSender(base, rate, seconds, groups, first) {
  const total = rate * seconds;
  const bodies = Array.from({ length: total }, (_, i) => bodyOf(first + i, groups));
  const names = bodies.map((body) => JSON.parse(body).Name);
  const url = new URL(base);
  const ok = [];
  const latency = [];
  const inFlight = new Set();
  const idle = [];
  const waiting = [];
  const sockets = new Set();
  let open = 0;
  let second = -1;
  let head = '';
  let sent = 0;

  /** A connection that sends one request at a time; resolves each with `{ status, text }` or null. */
  const connect = () => {
    const socket = netConnect(Number(url.port), url.hostname);
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    let buffer = '';
    let answer = null;
    const connection = {
      send(payload) {
        return new Promise((resolve) => {
          answer = resolve;
          socket.write(payload);
        });
      },
    };
    socket.on('data', (chunk) => {
      buffer += chunk;
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(buffer.slice(0, end + 2))?.[1] ?? Number.NaN);
      if (!(buffer.length >= end + 4 + length)) return; // a body without its length never completes: closed below
      const status = Number(buffer.slice(9, 12));
      const text = buffer.slice(end + 4, end + 4 + length);
      const close = /\r\nconnection: *close/i.test(buffer.slice(0, end + 2));
      buffer = buffer.slice(end + 4 + length);
      const done = answer;
      answer = null;
      if (close) socket.destroy();
      else release(connection);
      done?.({ status, text });
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      open--;
      sockets.delete(socket);
      const at = idle.indexOf(connection);
      if (at >= 0) idle.splice(at, 1);
      answer?.(null);
      answer = null;
    });
    open++;
    return connection;
  };
  const release = (connection) => {
    const next = waiting.shift();
    if (next) next(connection);
    else idle.push(connection);
  };
  const take = () => idle.pop() ?? (open < 256 ? connect() : new Promise((resolve) => waiting.push(resolve)));

  const post = async (body, name) => {
    const at = performance.now();
    const unix = Math.floor(Date.now() / 1000);
    if (unix !== second) {
      second = unix;
      head = `POST /callback?${signedQuery(unix)} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n`;
    }
    const connection = await take();
    const answer = await connection.send(`${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    const now = performance.now();
    if (answer?.status === 200 && answer.text.includes('"OK"')) {
      ok.push([name, performance.timeOrigin + now]);
      latency.push(now - at);
    }
  };
  const started = performance.now();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      const request = post(bodies[sent], names[sent]).finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
    await sleep(5);
  }
  await Promise.all(inFlight);
  for (const socket of sockets) socket.destroy();
  const cpu = process.cpuUsage();
  process.stdout.write(JSON.stringify({ sent, ok, latency, cpuMs: (cpu.user + cpu.system) / 1000 }));
}

/** The bucket bound (ms) under which quantile `q` of the relay's own delay histogram falls. */
function histogramQuantile(metrics, sink, q) {
  const pattern = new RegExp(
    `^timhook_relay_delivery_delay_seconds_bucket\\{le="([^"]+)",sink="${sink}"\\} (\\d+)`,
    'gm',
  );
  const buckets = [...metrics.matchAll(pattern)].map((m) => ({ le: m[1], count: Number(m[2]) }));
  const total = buckets.at(-1)?.count ?? 0;
  const bucket = buckets.find((b) => b.count >= total * q);
  return bucket ? (bucket.le === '+Inf' ? '∞' : String(Number(bucket.le) * 1000)) : 'n/a';
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Clients of the loopback services: make and drop the test's streams/queues, count, follow, bare-publish. */
async function connectServices(secret) {
  const nc = await natsConnect({ servers: '127.0.0.1:4222' });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc, { timeout: 10_000 });
  const redis = createClient({ url: 'redis://127.0.0.1:6379' });
  redis.on('error', () => {});
  await redis.connect();
  const amqp = await amqpConnect('amqp://guest:guest@127.0.0.1:5672');
  const channel = await amqp.createChannel();
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1];
  const rabbitVersion = amqp.connection.serverProperties.version;
  const natsVersion = nc.info?.version;
  // Everything made for a run, dropped again by `close` if a run stops half-way.
  const made = [];

  const services = {
    natsVersion,
    redisVersion,
    rabbitVersion,
    async prepare(sink, tag) {
      const names = {
        nats: `bench_${tag}`,
        redis: `bench:${tag}`,
        rabbit: `bench.${tag}`,
        queue: `bench.${tag}`,
      };
      made.push([sink, names]);
      if (sink === 'nats') await jsm.streams.add({ name: names.nats, subjects: [`${names.nats}.>`] });
      if (sink === 'rabbitmq') {
        await channel.assertExchange(names.rabbit, 'topic', { durable: true });
        await channel.assertQueue(names.queue, { durable: true });
        await channel.bindQueue(names.queue, names.rabbit, 'group.#');
      }
      return names;
    },
    async cleanup(sink, names, receiver) {
      if (sink === 'nats') await jsm.streams.delete(names.nats).catch(() => {});
      if (sink === 'redis') await redis.del(names.redis);
      if (sink === 'rabbitmq') {
        await channel.deleteQueue(names.queue).catch(() => {});
        await channel.deleteExchange(names.rabbit).catch(() => {});
      }
      if (sink === 'http') await fetch(`${receiver.url}/reset`, { method: 'POST' });
    },
    /** What the sink's server holds now. */
    async count(sink, names, receiver) {
      if (sink === 'nats') return { count: (await jsm.streams.info(names.nats)).state.messages };
      if (sink === 'redis') {
        const [last] = await redis.xRevRange(names.redis, '+', '-', { COUNT: 1 });
        const seq = Number(last?.message.id.split(':')[1] ?? 0);
        return {
          count: seq,
          note: ` (last id ${last?.message.id}, ${await redis.xLen(names.redis)} kept by MAXLEN ~)`,
        };
      }
      if (sink === 'rabbitmq') return { count: (await channel.checkQueue(names.queue)).messageCount };
      const stats = await (await fetch(`${receiver.url}/stats`)).json();
      return {
        count: stats.unique,
        note: stats.invalid > 0 ? `, ${stats.invalid} BAD SIGNATURES` : ', signatures valid',
      };
    },
    /** A bare client of the same library publishing `payloads` as the relay batches them. */
    async bare(sink, names, payloads, receiver) {
      const WINDOW = 500;
      if (sink === 'nats') {
        // Asynchronous publishing, as JetStream's clients do it (and the sink): every message of a
        // window out at once with a reply subject on one inbox, the PubAcks counted as they come.
        const inbox = createInbox();
        let waiting = 0;
        let windowDone = () => {};
        const acks = nc.subscribe(`${inbox}.*`, {
          callback: () => {
            if (--waiting === 0) windowDone();
          },
        });
        for (let i = 0; i < payloads.length; i += WINDOW) {
          const window = payloads.slice(i, i + WINDOW);
          waiting = window.length;
          const done = new Promise((resolve) => (windowDone = resolve));
          window.forEach((p, n) => {
            const h = natsHeaders();
            h.set('Nats-Msg-Id', p.id);
            nc.publish(`${names.nats}.group.${p.groupId}`, p.body, {
              headers: h,
              reply: `${inbox}.${i + n}`,
            });
          });
          await done;
        }
        acks.unsubscribe();
      } else if (sink === 'redis') {
        const trim = { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: 100_000 } };
        for (let i = 0; i < payloads.length; i += WINDOW) {
          await Promise.all(
            payloads
              .slice(i, i + WINDOW)
              .map((p) =>
                redis.xAdd(
                  names.redis,
                  '*',
                  { id: p.id, command: COMMAND, groupId: p.groupId, payload: p.body },
                  trim,
                ),
              ),
          );
        }
      } else if (sink === 'rabbitmq') {
        const confirm = await amqp.createConfirmChannel();
        for (let i = 0; i < payloads.length; i += WINDOW) {
          for (const p of payloads.slice(i, i + WINDOW)) {
            confirm.publish(names.rabbit, `group.${p.groupId}`, Buffer.from(p.body), {
              messageId: p.id,
              persistent: true,
              contentType: 'application/json',
            });
          }
          await confirm.waitForConfirms();
        }
        await confirm.close();
      } else {
        const key = Buffer.from(secret.slice(6), 'base64');
        const concurrency = Number(flags['http-concurrency']);
        const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
        const target = new URL(`${receiver.url}/hook`);
        let next = 0;
        const worker = async () => {
          while (next < payloads.length) {
            const p = payloads[next++];
            const ts = Math.floor(Date.now() / 1000);
            const signature = createHmac('sha256', key).update(`${p.id}.${ts}.${p.body}`).digest('base64');
            await new Promise((resolve, reject) => {
              const req = httpRequest(
                {
                  agent,
                  host: target.hostname,
                  port: target.port,
                  path: target.pathname,
                  method: 'POST',
                  headers: {
                    'content-type': 'application/json',
                    'webhook-id': p.id,
                    'webhook-timestamp': String(ts),
                    'webhook-signature': `v1,${signature}`,
                  },
                },
                (res) => res.resume().on('end', resolve),
              );
              req.on('error', reject);
              req.end(p.body);
            });
          }
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
        agent.destroy();
      }
    },
    /** Follows the sink's server as a consumer: arrival time (epoch ms) of each change, by Name. */
    async follow(sink, names, receiver) {
      const arrived = new Map();
      const note = (body) => {
        const at = performance.timeOrigin + performance.now();
        const name = JSON.parse(body).changes?.Name;
        if (name !== undefined && !arrived.has(name)) arrived.set(name, at);
      };
      let stop = async () => {};
      if (sink === 'nats') {
        const consumer = await js.consumers.get(names.nats);
        const messages = await consumer.consume();
        (async () => {
          for await (const m of messages) note(m.string());
        })();
        stop = async () => messages.stop();
      } else if (sink === 'redis') {
        const reader = redis.duplicate();
        reader.on('error', () => {});
        await reader.connect();
        let running = true;
        let last = '0';
        const loop = (async () => {
          while (running) {
            const streams = await reader.xRead({ key: names.redis, id: last }, { BLOCK: 200, COUNT: 1000 });
            for (const entry of streams?.[0]?.messages ?? []) {
              last = entry.id;
              note(entry.message.payload);
            }
          }
        })();
        stop = async () => {
          running = false;
          await loop;
          await reader.close();
        };
      } else if (sink === 'rabbitmq') {
        const { consumerTag } = await channel.consume(names.queue, (m) => m && note(m.content.toString()), {
          noAck: true,
        });
        stop = async () => {
          await channel.cancel(consumerTag);
        };
      } else {
        // The receiver runs in a process of its own and keeps the arrival times: read at the end.
        await fetch(`${receiver.url}/reset`, { method: 'POST' });
        return {
          at: (name) => arrived.get(name),
          async refresh() {
            const times = await (await fetch(`${receiver.url}/arrivals`)).json();
            for (const [name, at] of Object.entries(times)) arrived.set(name, at);
          },
          async stop() {},
        };
      }
      return { at: (name) => arrived.get(name), async refresh() {}, stop };
    },
    async close() {
      for (const [sink, names] of made) {
        if (sink !== 'http') await services.cleanup(sink, names, null).catch(() => {});
      }
      await channel.close().catch(() => {});
      await amqp.close().catch(() => {});
      await redis.close();
      await nc.close();
    },
  };
  return services;
}

/**
 * `--webhook-receiver`: the HTTP sink's endpoint, in a process of its own. It checks each Standard
 * Webhooks signature, answers 204, counts distinct ids, and keeps each change's arrival time.
 */
function runWebhookReceiver() {
  const key = Buffer.from(process.env.BENCH_WEBHOOK_SECRET.slice(6), 'base64');
  let ids = new Set();
  let invalid = 0;
  let arrivals = {};
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/reset') {
      ids = new Set();
      invalid = 0;
      arrivals = {};
      return res.writeHead(204).end();
    }
    if (req.url === '/stats') return res.end(JSON.stringify({ unique: ids.size, invalid }));
    if (req.url === '/arrivals') return res.end(JSON.stringify(arrivals));
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      const body = Buffer.concat(chunks).toString();
      const id = req.headers['webhook-id'];
      const expected = createHmac('sha256', key)
        .update(`${id}.${req.headers['webhook-timestamp']}.${body}`)
        .digest('base64');
      if (req.headers['webhook-signature'] !== `v1,${expected}`) invalid++;
      ids.add(id);
      const name = JSON.parse(body).changes?.Name;
      if (name !== undefined && !(name in arrivals)) arrivals[name] = at;
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => console.log(`READY ${server.address().port}`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
