import { execFileSync } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildCallbackUrl, computeSign } from '../../src/protocol/index.js';
import { type Spawned, spawnCli, tempDir } from '../cli/support.js';

export { runCli, type Spawned, spawnCli, tempDir } from '../cli/support.js';

/** A callback's answer, or the reason there was none (the process is gone). */
export type Answer =
  | { status: number; ActionStatus: string; ErrorCode: number; ErrorInfo: string }
  | { status: 0; ActionStatus: 'NO ANSWER'; ErrorCode: -1; ErrorInfo: string };

/**
 * Posts a signed group-change callback naming `name`, its `Introduction` padded to about
 * `padBytes`; never throws, so a test sees a dead recorder as an answer.
 */
export async function sendNamed(base: string, name: string, padBytes = 0): Promise<Answer> {
  const requestTime = Math.floor(Date.now() / 1000);
  const url = buildCallbackUrl(`${base}/callback`, {
    sdkAppId: '1400000001',
    command: 'Group.CallbackAfterGroupInfoChanged',
    sign: { sign: computeSign('tok', requestTime), requestTime },
  });
  const body = JSON.stringify({
    CallbackCommand: 'Group.CallbackAfterGroupInfoChanged',
    GroupId: `@TGS#${name.slice(0, 20)}`,
    Type: 'Public',
    Operator_Account: 'tester',
    Name: name,
    ...(padBytes > 0 ? { Introduction: 'x'.repeat(padBytes) } : {}),
    EventTime: Date.now(),
  });
  try {
    const response = await fetch(url, { method: 'POST', body, signal: AbortSignal.timeout(5000) });
    const answer = (await response.json()) as { ActionStatus: string; ErrorCode: number; ErrorInfo: string };
    return { status: response.status, ...answer };
  } catch (error) {
    return { status: 0, ActionStatus: 'NO ANSWER', ErrorCode: -1, ErrorInfo: String(error) };
  }
}

/** `GET /readyz`: status and body. */
export async function readyz(base: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Every event's `Name` in the log, read through the API page by page. */
export async function loggedNames(base: string): Promise<string[]> {
  const names: string[] = [];
  let after = 0;
  for (;;) {
    const response = await fetch(`${base}/api/events?after=${after}&limit=200`);
    const page = (await response.json()) as {
      events: Array<{ changes: { Name?: string } }>;
      next: number | null;
    };
    for (const event of page.events) if (event.changes.Name) names.push(event.changes.Name);
    if (page.next === null) return names;
    after = page.next;
  }
}

/** Starts `timhook serve` on a free port with `db`; resolves with its base URL. */
export async function startRecorder(
  db: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ serve: Spawned; url: string; stop: () => Promise<void> }> {
  const serve = spawnCli(
    ['serve', '--sdk-appid', '1400000001', '--token', 'tok', '--port', '0', '--db', db],
    {
      env,
    },
  );
  const stop = async () => {
    if (serve.child.exitCode !== null || serve.child.signalCode !== null) return;
    serve.child.kill('SIGKILL');
    await serve.exited;
  };
  try {
    const [, url] = await serve.waitFor(/listening on (http:\/\/\S+)/);
    return { serve, url: url!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** True while the process has not exited. */
export function isAlive(spawned: Spawned): boolean {
  return spawned.child.exitCode === null && spawned.child.signalCode === null;
}

/**
 * Mounts a tmpfs of `megabytes` in a new temporary folder: a disk that fills up. Needs root (or
 * CAP_SYS_ADMIN); without it, throws one line saying so.
 */
export function mountSmallDisk(megabytes: number): { path: string; remove: () => void } {
  const parent = tempDir();
  const path = join(parent.path, 'disk');
  mkdirSync(path);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (error) {
    parent.remove();
    throw new Error(
      `cannot mount a ${megabytes} MB tmpfs (run the fault tests as root, or with CAP_SYS_ADMIN): ${String((error as { stderr?: unknown }).stderr ?? error).trim()}`,
    );
  }
  return {
    path,
    remove() {
      execFileSync('umount', ['-l', path], { stdio: 'pipe' });
      rmdirSync(path);
      parent.remove();
    },
  };
}

/**
 * Compiles `fail-fsync.c` into `dir` and returns the shared object's path: loaded with LD_PRELOAD,
 * it makes fsync and fdatasync fail with EIO once the file `FAIL_FSYNC_TRIGGER` names exists.
 */
export function buildFailFsync(dir: string): string {
  const source = new URL('./fail-fsync.c', import.meta.url).pathname;
  const output = join(dir, 'fail-fsync.so');
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', output, source, '-ldl'], { stdio: 'pipe' });
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? 'no C compiler: the fsync fault test builds a tiny LD_PRELOAD shim with `cc` (install gcc or clang)'
        : `cc could not build ${source}: ${String((error as { stderr?: unknown }).stderr ?? error).trim()}`,
    );
  }
  return output;
}

/** Runs `timhook <args>` to completion, killed after `timeoutMs` (its code is then the signal). */
export async function runBounded(
  args: string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const spawned = spawnCli(args, options.cwd ? { cwd: options.cwd } : {});
  const timer = setTimeout(() => spawned.child.kill('SIGKILL'), options.timeoutMs ?? 10_000);
  const code = await spawned.exited;
  clearTimeout(timer);
  return { code, stdout: spawned.stdout(), stderr: spawned.stderr() };
}

/** Cleanups a test file runs after each test, last first: push to it, call `run` in `afterEach`. */
export function createCleanups(): {
  push(cleanup: () => void | Promise<unknown>): void;
  track(spawned: Spawned): Spawned;
  run(): Promise<void>;
} {
  const cleanups: Array<() => void | Promise<unknown>> = [];
  return {
    push: (cleanup) => void cleanups.push(cleanup),
    /** Kills `spawned` after the test if it is still running. */
    track(spawned) {
      cleanups.push(async () => {
        if (spawned.child.exitCode === null && spawned.child.signalCode === null) {
          spawned.child.kill('SIGKILL');
          await spawned.exited;
        }
      });
      return spawned;
    },
    async run() {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    },
  };
}
