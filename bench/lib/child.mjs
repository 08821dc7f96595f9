// Each server under test runs in a child process of its own; these helpers start, watch and stop it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { atExit } from './at-exit.mjs';
import { SDK_APP_ID, TOKEN } from './traffic.mjs';

/** The servers started and not yet exited: killed when the benchmark exits, however it exits. */
const running = new Set();
let reaping = false;

/**
 * Spawns `node ...args` (`spawn`'s options), to be killed if it outlives this process. A `launcher`
 * (a command and its arguments, such as valgrind's) runs Node under it.
 */
export function spawnNode(args, options, launcher = []) {
  if (!reaping) atExit(killRunning);
  reaping = true;
  const [command, ...before] = [...launcher, process.execPath];
  const child = spawn(command, [...before, ...args], options);
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

function killRunning() {
  for (const child of running.values()) child.kill('SIGKILL');
}

/**
 * Spawns `node ...args` and resolves once a line of its stdout matches `ready` (whose first group
 * is the port). Output is drained (a full pipe would stall the server) and its tail kept for errors.
 */
export function startServer(
  name,
  args,
  { ready = /READY (\d+)/, env = {}, launcher = [], startMs = 15_000 } = {},
) {
  const child = spawnNode(
    args,
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
    launcher,
  );
  let tail = '';
  const keep = (chunk) => {
    tail = (tail + chunk).slice(-4000);
  };
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => fail(new Error(`${name} did not start in ${startMs / 1000} s\n${tail}`)),
      startMs,
    );
    const fail = (error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const onData = (chunk) => {
      keep(chunk);
      out += chunk;
      const match = ready.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stdout.on('data', keep);
      const port = Number(match[1]);
      resolve({
        name,
        pid: child.pid,
        port,
        url: `http://127.0.0.1:${port}`,
        tail: () => tail,
        exited,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return exited;
          child.kill('SIGTERM');
          const timeout = setTimeout(() => child.kill('SIGKILL'), Math.max(20_000, startMs));
          const status = await exited;
          clearTimeout(timeout);
          return status;
        },
      });
    };
    child.stdout.on('data', onData);
    child.once('exit', (code, signal) =>
      fail(new Error(`${name} exited before it was ready (${code ?? signal})\n${tail}`)),
    );
  });
}

/** Resident and peak resident memory of a process, MB (Linux `/proc`). */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

const DEFAULT_CLI = new URL('../../dist/cli/bin.js', import.meta.url).pathname;

/** The `timhook serve` command line for a fresh or existing database file. */
export function serveArgs({ db, token, sdkAppId, profileDir, cli = DEFAULT_CLI, extra = [] }) {
  const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  return [
    ...prof,
    cli,
    'serve',
    '--sdk-appid',
    sdkAppId,
    '--token',
    token,
    '--port',
    '0',
    '--db',
    db,
    ...extra,
  ];
}

/** Matches the line `timhook serve` prints once it listens. */
export const SERVE_READY = /listening on http:\/\/127\.0\.0\.1:(\d+)/;

/**
 * Starts one server under the bench's signed load: a floor from bench/servers/ (`script`, its
 * path, logging to `dir`), or, without one, `timhook serve` (`cli`, default this build's) on a
 * fresh database in `dir`. `nodeFlags` go to Node before the script; `launcher` and `startMs` to
 * {@link startServer}.
 */
export function startUnderLoad(name, { dir, script, cli, nodeFlags = [], launcher = [], startMs }) {
  const how = { launcher, ...(startMs ? { startMs } : {}) };
  if (script) {
    return startServer(name, [...nodeFlags, script, join(dir, `${name}.log`), SDK_APP_ID, TOKEN], how);
  }
  const serve = serveArgs({
    db: join(dir, `${name}.db`),
    token: TOKEN,
    sdkAppId: SDK_APP_ID,
    ...(cli ? { cli } : {}),
  });
  return startServer(name, [...nodeFlags, ...serve], { ready: SERVE_READY, ...how });
}

/** CPU time a process has used so far, ms (Linux `/proc`). */
export function cpuTimeOf(pid) {
  return cpuMsOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** CPU time one thread of a process has used so far, ms (Linux `/proc/PID/task/TID/stat`). */
export function threadCpuTimeOf(pid, tid) {
  return cpuMsOfStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
}

/** User plus system time from the text of a `stat` file, ms (the name may hold ") "). */
export function cpuMsOfStat(stat) {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** CPU time the whole machine has been busy, ms, summed over cores (Linux `/proc/stat`). */
export function machineBusyMs() {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = ticks;
  return ((user + nice + system + irq + softirq + steal) * 1000) / CLOCK_TICKS;
}

/** USER_HZ: 100 on every Linux the benchmarks run on. */
const CLOCK_TICKS = 100;

/**
 * Measures what else ran during `run`: machine CPU time minus the server's and this process's, in
 * cores. The benchmarks share the machine; a round with much foreign load is a noisy round. Also
 * returns the CPU time of the servers (`serverCpuMs`) and of this process (`ownCpuMs`: the load
 * generator, when it runs here) and the bytes the servers sent to the disk (`serverDiskBytes`).
 */
export async function measureForeignLoad(pids, run) {
  const started = performance.now();
  const own = () => pids.reduce((sum, pid) => sum + cpuTimeOf(pid), 0);
  const written = () => pids.reduce((sum, pid) => sum + diskWrittenBytesOf(pid), 0);
  const written0 = written();
  const self0 = process.cpuUsage();
  const machine0 = machineBusyMs();
  const own0 = own();
  const result = await run();
  const self = process.cpuUsage(self0);
  const serverCpuMs = own() - own0;
  const serverDiskBytes = written() - written0;
  const machineMs = machineBusyMs() - machine0;
  const elapsed = performance.now() - started;
  const ownCpuMs = (self.user + self.system) / 1000;
  const foreign = Math.max(0, (machineMs - serverCpuMs - ownCpuMs) / elapsed);
  return { result, foreignCores: foreign, serverCpuMs, ownCpuMs, serverDiskBytes };
}

/**
 * Waits (up to `maxWaitMs`) for a second in which the machine is nearly idle, so that a round does
 * not start in the middle of someone else's build. Returns the busy cores of the last second.
 */
export async function waitForQuiet({ maxWaitMs = 30_000, idleBelowCores = 0.3 } = {}) {
  const until = Date.now() + maxWaitMs;
  for (;;) {
    const before = machineBusyMs();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const busy = (machineBusyMs() - before) / 1000;
    if (busy < idleBelowCores || Date.now() >= until) return busy;
  }
}

/** Bytes a process has read from the disk so far (not from the page cache), MB (Linux `/proc`). */
export function diskReadMbOf(pid) {
  return ioCounterOf(pid, 'read_bytes') / 1024 / 1024;
}

/**
 * Bytes a process has sent to the disk so far, counted when it dirties each page (so a page
 * written twice before it is flushed counts twice), all its threads (Linux `/proc`).
 */
export function diskWrittenBytesOf(pid) {
  return ioCounterOf(pid, 'write_bytes');
}

function ioCounterOf(pid, name) {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  return Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? Number.NaN);
}
