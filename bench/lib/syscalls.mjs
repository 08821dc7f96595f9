// Counts the system calls of a running process with `perf stat` on the kernel's tracepoints.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Starts counting the system calls of `pid`: of its main thread by name, and of all its threads
 * in all. Returns `stop()`, which resolves with `{ main: [[name, count]...], all }` (most frequent
 * first) for the time between the two calls. Needs `perf` with the `syscalls` tracepoints (root).
 */
export async function countSyscalls(pid, dir) {
  const mainFile = join(dir, 'syscalls-main.txt');
  const allFile = join(dir, 'syscalls-all.txt');
  const counters = [
    spawn('perf', ['stat', '-x', ',', '-e', 'syscalls:sys_enter_*', '-t', String(pid), '-o', mainFile], {
      stdio: 'ignore',
    }),
    spawn('perf', ['stat', '-x', ',', '-e', 'raw_syscalls:sys_enter', '-p', String(pid), '-o', allFile], {
      stdio: 'ignore',
    }),
  ];
  const exited = counters.map((counter) => new Promise((resolve) => counter.once('exit', resolve)));
  // perf has attached once it has written its output file's header; a short wait stands in for that.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return async function stop() {
    for (const counter of counters) counter.kill('SIGINT');
    await Promise.all(exited);
    const main = readCounts(mainFile)
      .filter(([, count]) => count > 0)
      .sort((a, b) => b[1] - a[1]);
    const all = readCounts(allFile).reduce((sum, [, count]) => sum + count, 0);
    if (main.length === 0) throw new Error(`perf counted no system calls: see ${mainFile}`);
    return { main, all };
  };
}

/** `[name, count]` of each event in a `perf stat -x ,` output file. */
function readCounts(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.split(','))
    .filter((fields) => fields.length > 2 && /syscalls:/.test(fields[2]))
    .map((fields) => [
      fields[2].replace(/^(raw_)?syscalls:sys_enter_?/, '') || 'all',
      Number(fields[0]) || 0,
    ]);
}
