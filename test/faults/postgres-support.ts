import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, connect } from 'node:net';
import postgres from 'postgres';
import { afterEach } from 'vitest';
import { type Spawned, sendChange, spawnCli } from '../cli/support.js';
import { TEST_PG_URL } from '../store/postgres-support.js';

/**
 * A database of its own for one test, created now, dropped (its sessions ended) by `drop`: a test
 * that ends every session of its database must not touch the other tests' sessions.
 */
export async function createFreshDatabase(): Promise<{
  name: string;
  url: string;
  drop: () => Promise<void>;
}> {
  const admin = postgres(TEST_PG_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  const name = `timhook_fault_${process.pid}_${randomBytes(4).toString('hex')}`;
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } catch (error) {
    await admin.end({ timeout: 1 });
    throw new Error(
      `PostgreSQL is not reachable at ${TEST_PG_URL} or cannot create a database (set TIMHOOK_TEST_PG_URL)`,
      { cause: error },
    );
  }
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end({ timeout: 1 });
    },
  };
}

/** Reads the `Name` of every logged event over a connection of its own. */
export async function readLoggedNames(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const rows = await sql<Array<{ raw: string }>>`SELECT raw FROM events ORDER BY seq`;
    return rows.map((row) => (JSON.parse(row.raw) as { Name: string }).Name);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * Cleanups run after each test, the last added first: a recorder is stopped before the database
 * it uses is dropped.
 */
export function useCleanups(): (cleanup: () => Promise<unknown>) => void {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return (cleanup) => cleanups.push(cleanup);
}

/** Spawns `timhook serve` on `db`; `cleanup` SIGKILLs it (and waits for it to end). */
export function startServe(
  db: string,
  cleanup: (cleanup: () => Promise<unknown>) => void,
): Promise<{ serve: Spawned; url: string }> {
  return (async () => {
    const serve = spawnCli([
      'serve',
      '--sdk-appid',
      '1400000001',
      '--token',
      'tok',
      '--port',
      '0',
      '--db',
      db,
    ]);
    cleanup(async () => {
      if (isAlive(serve)) serve.child.kill('SIGKILL');
      await serve.exited;
    });
    const [, url] = await serve.waitFor(/listening on (http:\/\/\S+)/);
    return { serve, url: url! };
  })();
}

/** What `tally` holds, for a failure message. */
export function describeTally(tally: Tally): string {
  return `${tally.ok.size} OK, refused ${JSON.stringify([...tally.refused])}, ${tally.unanswered} unanswered`;
}

/** Whether `serve` is still running. */
export function isAlive(serve: Spawned): boolean {
  return serve.child.exitCode === null && serve.child.signalCode === null;
}

/** What the senders saw. */
export interface Tally {
  /** Names answered OK. */
  ok: Set<string>;
  /** Answers other than OK, by HTTP status and ActionStatus. */
  refused: Map<string, number>;
  /** Requests that got no answer (connection refused or reset). */
  unanswered: number;
  /** When the first OK came, ms since 1970. */
  firstOkAt: number | null;
}

/**
 * Runs `lanes` senders of distinct signed changes against `base` until `stop()` says so; each
 * name is `<prefix>-<lane>-<n>`.
 */
export async function sendUntil(
  base: string,
  options: { lanes: number; prefix: string; tally: Tally; stop: () => boolean },
): Promise<void> {
  const { tally } = options;
  const lane = async (index: number) => {
    for (let n = 0; !options.stop(); n++) {
      const name = `${options.prefix}-${index}-${n}`;
      try {
        const { status, answer } = await sendChange(base, {
          GroupId: `@TGS#fault${index}`,
          Name: name,
          EventTime: Date.now(),
        });
        if (status === 200 && answer.ActionStatus === 'OK') {
          tally.ok.add(name);
          tally.firstOkAt ??= Date.now();
        } else {
          const key = `${status} ${answer.ActionStatus}`;
          tally.refused.set(key, (tally.refused.get(key) ?? 0) + 1);
        }
      } catch {
        tally.unanswered++;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: options.lanes }, (_, index) => lane(index)));
}

export function newTally(): Tally {
  return { ok: new Set(), refused: new Map(), unanswered: 0, firstOkAt: null };
}

/**
 * A TCP relay on a free loopback port to `target`: `cut()` resets every relayed connection and
 * every new one until `restore()`, as a database that went away would.
 */
export async function startRelay(target: { host: string; port: number }): Promise<{
  port: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}> {
  let isCut = false;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (isCut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut() {
      isCut = true;
      for (const socket of open) socket.resetAndDestroy();
    },
    restore() {
      isCut = false;
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
