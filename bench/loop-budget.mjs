// `npm run bench:budget`: where the event loop's CPU goes, part by part, for `timhook serve` and
// the recorder benchmark's floors, under the same load, in one run.
//   1. Start each server with `--perf-basic-prof` (so that `perf` can name V8's compiled code):
//      `timhook serve` (the real CLI, a fresh database), (1c) the durable SQLite floor and (1d) the
//      floor with the work the contract requires (bench/servers/).
//   2. Load it (50 connections, distinct signed callbacks) for `--warmup` seconds, then for
//      `--duration` seconds while `perf record -g` samples its main thread's CPU (cpu-clock, so
//      on-CPU time only: a thread that waits is not sampled) and `/proc` counts that thread's CPU.
//   3. Put each sample in one part: the innermost frame of its stack that names a part decides
//      (JSON.parse inside the receiver counts as the receiver; a write(2) inside the answer as HTTP).
//      Print µs of the event loop's CPU per answered request for each part and server.
//   4. With `--rounds N` (default 2), measure every server N times, in turn, each round in the
//      other order than the last (the machine's speed drifts), and print the means.
// Needs Linux `perf` (Debian: linux-perf) able to sample software events.
//
//   node bench/loop-budget.mjs [--duration 8] [--warmup 3] [--rounds 2] [--cli dist/cli/bin.js]
//                              [--servers sqlite,work,timhook]
import { execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startUnderLoad, threadCpuTimeOf } from './lib/child.mjs';
import { runLoad } from './lib/load.mjs';
import { scratchDir } from './lib/scratch.mjs';
import { createCallbackSetup } from './lib/traffic.mjs';
import { helpIfAsked, requireTool } from './lib/usage.mjs';

helpIfAsked(import.meta.url);
const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '3' },
    cli: { type: 'string' },
    servers: { type: 'string', default: 'sqlite,work,timhook' },
    rounds: { type: 'string', default: '2' },
  },
});

requireTool('perf', 'this benchmark samples with Linux perf (Debian: apt-get install linux-perf)');

/**
 * The parts, each with the frames that name it. A sample goes to the part of the innermost frame
 * (nearest the leaf) that any pattern matches; within one frame, the first part listed wins.
 */
const PARTS = [
  ['garbage collection', /Scaveng|MarkCompact|ConcurrentMark|IncrementalMark|Heap::Collect|MinorMC|Sweeper/],
  // Native frames: V8 inlines JS functions into their callers, and then names only the caller.
  [
    'SQLite (statements, commits; the floors fsync here)',
    /sqlite3|Statement::JS_|Database::JS_|pcache1|pager[A-Z]/,
  ],
  ['projection (required)', /projectEntry/],
  ['store: writes behind the OK', /deferred-writes\.js|deferred-schedule\.js|index-pass\.js/],
  // The floors' own functions (bench/servers/) are named for this.
  ['store: log row (insert, head)', /appendOne|logRows/],
  ['store: batch (dedupe keys, seqs)', /sqlite\/append\.js:39/],
  ['store: transaction (begin, commit)', /sqlite\/append\.js:57|better-sqlite3\/lib\/methods\/transaction/],
  ['store: file check (stat)', /statSync/],
  ['store: fsync (hand-off)', /wal-sync\.js|fdatasync/],
  [
    'store: group commit, answers',
    /group-commit\.js|\bcommit file:\S*\/bench\/servers\/|bench\/servers\/required-work/,
  ],
  // `hash` is the one-shot SHA-256 of the dedupe key; the Sign check uses `createHash`.
  [
    'log entry (SHA-256, facts)',
    /log-entry\.js|describe-event\.js|JS:[*^~]?hash node:internal\/crypto\/hash/,
  ],
  [
    'receiver (Sign, JSON, schema)',
    /read-event\.js|schemas\.js|check-names\.js|verify-query\.js|read-query\.js|create-receiver\.js|zod|bench\/servers\/durable-sqlite/,
  ],
  ['recorder route, metrics', /routes\/callback\.js|router\.js|prom-client/],
  [
    'HTTP (parse, read, answer)',
    /llhttp|_http_|writev|doWrite|streams\/(writable|readable)|node:net|stream_base|receiver\/node\.js/,
  ],
  [
    'event loop, promises, timers',
    /uv__io_poll|epoll|uv_run|processImmediate|processTicksAndRejections|Microtask|Promise/,
  ],
];
const OTHER = 'other';

const SERVERS = {
  sqlite: { label: '(1c) durable SQLite floor', script: 'durable-sqlite.mjs' },
  work: { label: '(1d) required work', script: 'required-work.mjs' },
  timhook: { label: '(3) timhook serve' },
};

/**
 * V8's flags for `perf`: `--perf-basic-prof` writes /tmp/perf-PID.map (removed after `perf script`
 * has read it), and the log it turns on goes to the scratch folder, not the current one.
 */
function perfFlags(dir) {
  return ['--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${join(dir, 'v8.log')}`];
}

/** The stacks of `perf script -F ip,sym`: one array of frame names per sample, leaf first. */
function readStacks(dataFile) {
  const text = execFileSync('perf', ['script', '-i', dataFile, '-F', 'ip,sym'], {
    maxBuffer: 1 << 30,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const stacks = [];
  let frames = [];
  for (const line of text.split('\n')) {
    const frame = line.trim().replace(/^[0-9a-f]+ /, '');
    if (frame) {
      frames.push(frame);
    } else if (frames.length > 0) {
      stacks.push(frames);
      frames = [];
    }
  }
  if (frames.length > 0) stacks.push(frames);
  return stacks;
}

/** Shares of the samples per part. */
function partsOf(stacks) {
  const counts = new Map();
  for (const frames of stacks) {
    let part = OTHER;
    for (const frame of frames) {
      const hit = PARTS.find(([, pattern]) => pattern.test(frame));
      if (hit) {
        part = hit[0];
        break;
      }
    }
    counts.set(part, (counts.get(part) ?? 0) + 1);
  }
  return new Map([...counts].map(([part, n]) => [part, n / stacks.length]));
}

async function measure(key) {
  const dir = scratchDir('timhook-budget-');
  const { label, script } = SERVERS[key];
  const server = await startUnderLoad(key, {
    dir,
    ...(script ? { script: new URL(`./servers/${script}`, import.meta.url).pathname } : {}),
    ...(flags.cli ? { cli: flags.cli } : {}),
    nodeFlags: perfFlags(dir),
  });
  try {
    const url = `${server.url}/callback`;
    const counter = { next: 0 };
    await runLoad({ url, duration: Number(flags.warmup), setupRequest: createCallbackSetup({ counter }) });
    const dataFile = join(dir, 'perf.data');
    const duration = Number(flags.duration);
    const recorder = spawn(
      'perf',
      [
        'record',
        '-g',
        '-e',
        'cpu-clock',
        '-F',
        '2000',
        '-t',
        String(server.pid),
        '-o',
        dataFile,
        '--',
        'sleep',
        String(duration),
      ],
      { stdio: 'ignore' },
    );
    const recorded = new Promise((resolve, reject) => {
      recorder.once('error', reject);
      recorder.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`perf record exited with ${code}`)),
      );
    });
    const before = threadCpuTimeOf(server.pid, server.pid);
    const load = await runLoad({ url, duration, setupRequest: createCallbackSetup({ counter }) });
    const cpuUs = ((threadCpuTimeOf(server.pid, server.pid) - before) * 1000) / load.ok;
    await recorded;
    const stacks = readStacks(dataFile);
    rmSync(`/tmp/perf-${server.pid}.map`, { force: true });
    console.log(
      `${label}: ${load.rps.toFixed(0)} req/s, event loop ${cpuUs.toFixed(1)} µs of CPU per request, ` +
        `${stacks.length} samples, errors/non-2xx ${load.errors}/${load.non2xx}`,
    );
    return { label, cpuUs, parts: partsOf(stacks) };
  } finally {
    await server.stop();
  }
}

const keys = flags.servers.split(',');
for (const key of keys) {
  if (!SERVERS[key]) throw new Error(`unknown server ${key}: choose from ${Object.keys(SERVERS).join(', ')}`);
}
// The machine's speed drifts: every round measures each server, in the other order than the last.
const measured = new Map(keys.map((key) => [key, []]));
for (let round = 0; round < Number(flags.rounds); round++) {
  for (const key of round % 2 === 0 ? keys : [...keys].reverse()) measured.get(key).push(await measure(key));
}
const results = keys.map((key) => {
  const runs = measured.get(key);
  const parts = new Map();
  for (const run of runs) {
    for (const [part, share] of run.parts) parts.set(part, (parts.get(part) ?? 0) + share / runs.length);
  }
  return { label: runs[0].label, cpuUs: runs.reduce((sum, run) => sum + run.cpuUs, 0) / runs.length, parts };
});
const names = [...PARTS.map(([name]) => name), OTHER];
const width = Math.max(...names.map((name) => name.length));
console.log(
  `\nevent loop CPU per answered request, µs, mean of ${flags.rounds} rounds\n${''.padEnd(width)}  ${results.map((r) => r.label.slice(0, 4).padStart(8)).join('')}`,
);
for (const name of names) {
  const cells = results.map((r) => ((r.parts.get(name) ?? 0) * r.cpuUs).toFixed(1).padStart(8));
  if (results.some((r) => (r.parts.get(name) ?? 0) > 0))
    console.log(`${name.padEnd(width)}  ${cells.join('')}`);
}
console.log(`${'in all'.padEnd(width)}  ${results.map((r) => r.cpuUs.toFixed(1).padStart(8)).join('')}`);
