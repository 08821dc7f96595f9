import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AppendResult, ChangeLog, LogEntry, PendingAppend } from '../change-log.js';
import { watchFreeSpace } from './free-space.js';
import { type AppendOutcome, toAppendResults } from './append.js';
import { openSqliteDatabase, type SqliteOptions } from './database.js';
import { classifySqliteError } from './faults.js';
import { createSqliteReader } from './reader.js';
import { openSqliteChangeLog } from './in-thread.js';
import type { ErrorReply, WorkerSettings, WriterReply, WriterRequest } from './worker.js';
import { createStoreHealth } from '../store-health.js';
import { openWalSync } from './wal-sync.js';

/**
 * The writer thread's script. Under vitest this module runs from `src/` as TypeScript, which a
 * worker cannot load on Node 20: the tests use the built file (`npm test` builds first).
 */
function writerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../../dist/store/sqlite/worker.js', here)
    : new URL('./worker.js', here);
}

interface Pending {
  entries: readonly LogEntry[];
  written: () => void;
  resolve: (results: AppendResult[]) => void;
  reject: (error: Error) => void;
}

/**
 * Opens the change log in one SQLite file, committing on a worker thread: the append transaction
 * and the WAL checkpoints no longer stop the event loop that answers callbacks (issue 3: p99 under
 * 25 ms). Reads run here, on a connection of their own (WAL readers never wait for the writer). A
 * writer thread that dies fails the appends in flight, and the next append starts a new one.
 * `:memory:` cannot be shared by two threads: it opens in this thread.
 *
 * With `durability: 'full'` the writer commits without fsync and this thread fsyncs the WAL after
 * each commit, while the writer commits the next batch (`beginAppend`): an append resolves only
 * once its commit is on disk, as with `synchronous = FULL`, but the disk's wait no longer holds
 * the writer, and one fsync covers every batch written before it. Reads show events up to the
 * last durable one.
 *
 * A full disk, an I/O error or a database file deleted while open becomes a fault of `health`, and
 * the appends are refused with a `StoreUnavailableError` (sqlite/faults.ts says which lasts).
 */
export async function openThreadedSqliteChangeLog(options: SqliteOptions): Promise<ChangeLog> {
  if (options.path === ':memory:') return openSqliteChangeLog(options);
  const deferSync = options.durability !== 'normal';
  let writer = await startThread({ role: 'writer', options, deferSync });
  let checkpointer: Worker | null = null;
  const db = openSqliteDatabase(options);
  const walSync = deferSync ? openWalSync(`${options.path}-wal`) : null;
  let durable = (db.prepare('SELECT max(seq) AS seq FROM events').get() as { seq: number | null }).seq ?? 0;
  const reader = createSqliteReader(db, deferSync ? { visibleThrough: () => durable } : {});
  const health = createStoreHealth();
  const space = watchFreeSpace(dirname(options.path), health);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let dead: Error | null = null;
  let closed = false;
  let restarting: Promise<void> | null = null;
  await startCheckpointer();

  /** Answers a committed batch once it is durable; results settle in commit order (sqlite/wal-sync.ts). */
  function settle(waiting: Pending, outcomes: AppendOutcome[]): void {
    if (!walSync) {
      health.recover();
      waiting.resolve(toAppendResults(waiting.entries, outcomes));
      return;
    }
    walSync.sync().then(
      () => {
        for (const outcome of outcomes) durable = Math.max(durable, outcome.seq);
        health.recover();
        waiting.resolve(toAppendResults(waiting.entries, outcomes));
      },
      (error: unknown) => waiting.reject(health.fail('io_error', error, { lasting: true })),
    );
  }

  /**
   * Copies the WAL into the file beside the writer. One that stops is started again at the next
   * append: meanwhile the writer's own checkpoints keep the WAL bounded.
   */
  async function startCheckpointer(): Promise<void> {
    const worker = await startThread({ role: 'checkpointer', options });
    checkpointer = worker;
    worker.unref();
    worker.on('message', (reply: WriterReply) => {
      if (!('checkpointFailed' in reply)) return;
      // A full disk only delays checkpoints; the appends say when the log cannot be written.
      const fault = classifySqliteError(reply.checkpointFailed);
      if (fault?.lasting) health.fail(fault.fault, toError(reply.checkpointFailed), fault);
    });
    const lost = () => {
      if (checkpointer === worker) checkpointer = null;
    };
    worker.on('error', lost);
    worker.on('exit', lost);
  }

  /** Starts a checkpointer again, beside the appends, when the last one stopped. */
  function restartCheckpointer(): void {
    if (checkpointer || restarting || closed) return;
    restarting = startCheckpointer()
      .catch(() => {})
      .finally(() => {
        restarting = null;
      });
  }

  /** The writer's error, as the append's callers see it: a store fault, or the error as it came. */
  function toAppendError(reply: ErrorReply): Error {
    const error = toError(reply);
    const fault = classifySqliteError(reply);
    if (!fault) return error;
    if (fault.fault === 'disk_full') space.filled();
    return health.fail(fault.fault, error, fault);
  }

  /**
   * Refuses at once while the log cannot be written: until restart for a lasting fault, and, when
   * the disk is full, until some space has been freed. Resolves when the append may be tried.
   */
  async function checkHealth(): Promise<void> {
    const refusal = health.refusal();
    if (!refusal) return;
    const status = health.status();
    if (status.state === 'fault' && status.lasting) throw refusal;
    if (!(await space.hasRoom())) throw refusal;
  }

  function attach(worker: Worker): void {
    worker.unref();
    worker.on('message', (reply: WriterReply) => {
      if (!('id' in reply)) return;
      const waiting = pending.get(reply.id);
      if (!waiting) return;
      pending.delete(reply.id);
      if (pending.size === 0) worker.unref();
      waiting.written();
      if ('outcomes' in reply) settle(waiting, reply.outcomes);
      else waiting.reject(toAppendError(reply.error));
    });
    const fail = (error: Error) => {
      if (worker !== writer) return;
      dead = error;
      for (const waiting of pending.values()) {
        waiting.written();
        waiting.reject(error);
      }
      pending.clear();
    };
    worker.on('error', (error) =>
      fail(new Error(`the SQLite writer thread failed: ${error.message}`, { cause: error })),
    );
    worker.on('exit', (code) => {
      if (!closed) fail(new Error(`the SQLite writer thread stopped (exit code ${code})`));
    });
  }
  attach(writer);

  async function send(entries: readonly LogEntry[], written: () => void): Promise<AppendResult[]> {
    if (closed) throw new Error('the change log is closed');
    if (health.refusal()) await checkHealth();
    restartCheckpointer();
    if (dead) {
      dead = null;
      writer = await startThread({ role: 'writer', options, deferSync });
      attach(writer);
    }
    const id = nextId++;
    const worker = writer;
    return new Promise<AppendResult[]>((resolve, reject) => {
      pending.set(id, { entries, written, resolve, reject });
      if (pending.size === 1) worker.ref();
      worker.postMessage({ id, entries } satisfies WriterRequest);
    });
  }

  function beginAppend(entries: readonly LogEntry[]): PendingAppend {
    if (entries.length === 0) return { written: Promise.resolve(), results: Promise.resolve([]) };
    let written!: () => void;
    const writtenPromise = new Promise<void>((resolve) => {
      written = resolve;
    });
    const results = send(entries, written);
    // A refusal before the writer saw the batch (closed, no thread) frees the next one too.
    results.catch(written);
    return { written: writtenPromise, results };
  }

  return {
    ...reader,
    health,
    beginAppend,
    append: (entries) => beginAppend(entries).results,
    // One writer per file: nothing else appends, so there is nothing to hear.
    watch: () => () => {},
    async close() {
      if (closed) return;
      closed = true;
      space.stop();
      await restarting;
      await Promise.all([
        dead ? null : stopThread(writer),
        checkpointer ? stopThread(checkpointer) : null,
        walSync?.close(),
      ]);
      db.close();
    },
  };
}

function toError(reply: ErrorReply): Error {
  return Object.assign(new Error(reply.message), reply);
}

/** Asks a thread to close its connection, and waits until it has. */
async function stopThread(worker: Worker): Promise<void> {
  worker.ref();
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  worker.postMessage({ close: true } satisfies WriterRequest);
  await exited;
}

/**
 * The young generation of the log's threads, MB. V8's default lets it grow to 48 MB in a thread
 * this busy, and keeps it while the load lasts: capped, the writer's scavenges run more often on the same
 * few live objects (its batch), at no cost measured in throughput, and the recorder's peak RSS
 * under load drops by about 25 MB (issue 3: under 250 MB after a million events).
 */
const YOUNG_GENERATION_MB = 8;

/** Starts a thread of the log and waits until its database is open and migrated. */
function startThread(settings: WorkerSettings): Promise<Worker> {
  const worker = new Worker(writerUrl(), {
    workerData: settings,
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
  return new Promise<Worker>((resolve, reject) => {
    const onMessage = (reply: WriterReply) => {
      if ('ready' in reply) {
        cleanup();
        resolve(worker);
      } else if ('failed' in reply) {
        cleanup();
        reject(Object.assign(new Error(reply.failed.message), { name: reply.failed.name }));
      }
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`the SQLite writer thread stopped while opening the log (exit code ${code})`));
    };
    function cleanup(): void {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    }
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
