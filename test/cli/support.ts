import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCallbackUrl, computeSign } from '../../src/protocol/index.js';

/** The built CLI (npm test builds first). */
export const BIN = new URL('../../dist/cli/bin.js', import.meta.url).pathname;

/** A spawned CLI process with its output collected. */
export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  /** Resolves once stdout matches `pattern`, with the match; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** Spawns `timhook <args>` as a user would. */
export function spawnCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; spawn?: { uid?: number; gid?: number } } = {},
): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, ...options.env },
    cwd: options.cwd ?? process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options.spawn,
  });
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const watch of watchers) watch();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? signal ?? -1);
      for (const watch of watchers) watch();
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; stdout: ${out}; stderr: ${err}`));
        }, timeoutMs);
        const check = () => {
          const match = out.match(pattern);
          if (match) {
            clearTimeout(timer);
            watchers.delete(check);
            resolve(match);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            watchers.delete(check);
            reject(
              new Error(
                `process exited (${child.exitCode ?? child.signalCode}); stdout: ${out}; stderr: ${err}`,
              ),
            );
          }
        };
        watchers.add(check);
        check();
      });
    },
  };
}

/**
 * Runs `timhook <args>` to completion. A process still running after `timeoutMs` (a command that
 * should have finished but serves or hangs) is killed and the call rejects, saying so.
 */
export async function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const { timeoutMs = 15_000, ...spawnOptions } = options;
  const spawned = spawnCli(args, spawnOptions);
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      spawned.child.kill('SIGKILL');
      reject(
        new Error(
          `timhook ${args.join(' ')} still running after ${timeoutMs} ms; stdout: ${spawned.stdout()}; stderr: ${spawned.stderr()}`,
        ),
      );
    }, timeoutMs);
  });
  try {
    const code = await Promise.race([spawned.exited, overdue]);
    return { code, stdout: spawned.stdout(), stderr: spawned.stderr() };
  } finally {
    clearTimeout(timer);
  }
}

/** A temporary folder, removed by the returned function. */
export function tempDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'timhook-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Starts `timhook serve` on a free port and resolves with its base URL. */
export async function startServe(
  db: string,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<{ serve: Spawned; url: string }> {
  const serve = spawnCli(
    ['serve', '--sdk-appid', '1400000001', '--token', 'tok', '--port', '0', '--db', db, ...extra],
    {
      env,
    },
  );
  const [, url] = await serve.waitFor(/listening on (http:\/\/\S+)/);
  return { serve, url: url! };
}

/** Kills `spawned` with SIGKILL if it still runs; resolves once it has exited. */
export async function killIfRunning(spawned: Spawned): Promise<void> {
  if (spawned.child.exitCode !== null || spawned.child.signalCode !== null) return;
  spawned.child.kill('SIGKILL');
  await spawned.exited;
}

/** The URL of a group-change callback to the recorder at `base`, signed now. */
export function signedCallbackUrl(base: string, options: { token?: string; sdkAppId?: string } = {}): string {
  const requestTime = Math.floor(Date.now() / 1000);
  return buildCallbackUrl(`${base}/callback`, {
    sdkAppId: options.sdkAppId ?? '1400000001',
    command: 'Group.CallbackAfterGroupInfoChanged',
    sign: { sign: computeSign(options.token ?? 'tok', requestTime), requestTime },
  });
}

/** Posts a signed group-change callback with `fields`; resolves with status and answer. */
export async function sendChange(
  base: string,
  fields: Record<string, unknown>,
  options: { token?: string; sdkAppId?: string } = {},
): Promise<{ status: number; answer: { ActionStatus: string; ErrorCode: number; ErrorInfo: string } }> {
  const url = signedCallbackUrl(base, options);
  const body = JSON.stringify({
    CallbackCommand: 'Group.CallbackAfterGroupInfoChanged',
    Type: 'Public',
    Operator_Account: 'tester',
    ...fields,
  });
  const response = await fetch(url, { method: 'POST', body });
  return { status: response.status, answer: await response.json() };
}
