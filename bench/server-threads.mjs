// `node bench/server-threads.mjs`: where one server spends its CPU, thread by thread, under the
// recorder benchmark's load (50 connections, distinct signed callbacks).
//   1. Start the server: `timhook serve` (the real CLI) on a fresh database, or one of the
//      benchmark's floors (`--server bench/servers/durable-sqlite.mjs`).
//   2. Load it for `--warmup` seconds, then for `--duration` seconds, reading each thread's CPU
//      time (`/proc/PID/task/*/stat`) before and after.
//   3. Print µs of CPU per answered request for the event loop (the main thread), for each other
//      thread that used any, and in all, and how long the event loop waited for a core, with the
//      req/s, the p99 and the bytes sent to the disk;
//      for timhook, how many commits it made and how many callbacks each held (its /metrics).
//   4. With `--syscalls`, count the system calls of the same window with `perf stat` (the kernel's
//      `syscalls` tracepoints; root): per answered request, by name for the event loop, and in all
//      for the process. A count does not move with the machine's speed as times do, and on a
//      virtual machine each call costs the event loop a trip through the hypervisor.
// The req/s follow the event loop's share: a server whose event loop is busy all the time cannot
// answer faster, whatever its other threads do.
//
//   node bench/server-threads.mjs [--server bench/servers/<name>.mjs] [--cli dist/cli/bin.js]
//                                 [--warmup 3] [--duration 10] [--syscalls]
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuMsOfStat, startUnderLoad } from './lib/child.mjs';
import { runLoad } from './lib/load.mjs';
import { scratchDir } from './lib/scratch.mjs';
import { createCallbackSetup } from './lib/traffic.mjs';
import { countSyscalls } from './lib/syscalls.mjs';
import { helpIfAsked, requireTool } from './lib/usage.mjs';

helpIfAsked(import.meta.url);
const { values: flags } = parseArgs({
  options: {
    server: { type: 'string' },
    cli: { type: 'string' },
    warmup: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    syscalls: { type: 'boolean', default: false },
  },
});
if (flags.syscalls)
  requireTool('perf', '--syscalls counts with Linux perf (Debian: apt-get install linux-perf)');

/** CPU time of each thread of `pid` so far, ms, by thread id, with the thread's name. */
function threadTimes(pid) {
  const times = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    times.set(tid, { name, ms: cpuMsOfStat(stat) });
  }
  return times;
}

/**
 * Time the event loop has spent runnable but waiting for a core so far, ms: the second field of
 * `/proc/PID/task/PID/schedstat` (ns). Other threads and processes on the same cores take it.
 */
function waitedMs(pid) {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
}

/** Bytes `pid` has sent to the disk so far (`/proc/PID/io`). */
function writtenBytes(pid) {
  return Number(/^write_bytes: (\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? Number.NaN);
}

/** timhook's commits so far, from its /metrics: how many, and how many callbacks each held. */
async function commitSizes(base) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const read = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  const count = read('timhook_commit_batch_size_count');
  const sum = read('timhook_commit_batch_size_sum');
  return `commits: ${count}, ${(sum / count).toFixed(1)} callbacks each on average`;
}

const dir = scratchDir('timhook-threads-');
const server = await startUnderLoad(flags.server ? 'server' : 'timhook', {
  dir,
  ...(flags.server ? { script: resolve(flags.server) } : {}),
  ...(flags.cli ? { cli: flags.cli } : {}),
});
try {
  const url = `${server.url}/callback`;
  const counter = { next: 0 };
  await runLoad({ url, duration: Number(flags.warmup), setupRequest: createCallbackSetup({ counter }) });
  // Started first: its wait for perf to attach stays out of the window the CPU times cover.
  const stopCounting = flags.syscalls ? await countSyscalls(server.pid, dir) : null;
  const before = threadTimes(server.pid);
  const bytesBefore = writtenBytes(server.pid);
  const waitedBefore = waitedMs(server.pid);
  const load = await runLoad({
    url,
    duration: Number(flags.duration),
    setupRequest: createCallbackSetup({ counter }),
  });
  const after = threadTimes(server.pid);
  const syscalls = stopCounting ? await stopCounting() : null;
  const bytes = writtenBytes(server.pid) - bytesBefore;
  const waited = waitedMs(server.pid) - waitedBefore;
  const perRequest = (ms) => ((ms * 1000) / load.ok).toFixed(1).padStart(7);
  console.log(
    `${flags.server ?? 'timhook serve'}: ${load.rps.toFixed(0)} req/s, p99 ${load.p99.toFixed(2)} ms, ` +
      `${(bytes / 1024 / load.ok).toFixed(2)} KB to the disk per request, ` +
      `errors/timeouts/non-2xx ${load.errors}/${load.timeouts}/${load.non2xx}`,
  );
  console.log('CPU per answered request, µs:');
  let total = 0;
  const rows = [];
  for (const [tid, { name, ms }] of after) {
    const used = ms - (before.get(tid)?.ms ?? 0);
    total += used;
    if (used > 0)
      rows.push([tid === String(server.pid) ? 'event loop (main thread)' : `${name} ${tid}`, used]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  for (const [label, used] of rows) console.log(`${perRequest(used)}  ${label}`);
  console.log(`${perRequest(total)}  in all`);
  console.log(`${perRequest(waited)}  the event loop waited for a core (runnable, not running)`);
  if (!flags.server) console.log(await commitSizes(server.url));
  if (syscalls) {
    const per = (count) => (count / load.ok).toFixed(3).padStart(7);
    console.log('system calls per answered request:');
    for (const [name, count] of syscalls.main) {
      if (count / load.ok >= 0.001) console.log(`${per(count)}  ${name} (event loop)`);
    }
    const onLoop = syscalls.main.reduce((sum, [, count]) => sum + count, 0);
    console.log(`${per(onLoop)}  the event loop's, in all`);
    console.log(`${per(syscalls.all)}  all threads', in all`);
  }
} finally {
  await server.stop();
}
