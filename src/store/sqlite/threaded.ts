import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { statSync } from 'node:fs';
import type { AppendResult, ChangeLog, LogEntry } from '../change-log.js';
import type { CommitRun } from '../committer.js';
import { createGroupCommit } from '../group-commit.js';
import { watchFreeSpace } from './free-space.js';
import { createSqliteAppend } from './append.js';
import { openSqliteDatabase } from './database.js';
import { classifySqliteError, FILE_GONE_CODE } from './faults.js';
import { createSqliteReader } from './reader.js';
import { openSqliteChangeLog, DEFERRED_WRITE_MS, type SqliteLogOptions } from './in-thread.js';
import { scheduleDeferredWrites, writeDeferredNow } from './deferred-schedule.js';
import { createDeferredWrites } from './deferred-writes.js';
import type { ErrorReply, WorkerSettings, WriterReply, WriterRequest } from './worker.js';
import { createStoreHealth } from '../store-health.js';
import { openWalSync } from './wal-sync.js';

/**
 * The checkpointer's script. Under vitest this module runs from `src/` as TypeScript, which a
 * worker cannot load on Node 20: the tests use the built file (`npm test` builds first).
 */
function checkpointerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../../dist/store/sqlite/worker.js', here)
    : new URL('./worker.js', here);
}

/**
 * Opens the change log in one SQLite file, as `timhook serve` does. The append transaction runs in
 * this thread, on the connection the reads use: an event crosses no thread, and a batch of a few
 * hundred costs the event loop about a millisecond. With `durability: 'full'` the transaction
 * commits without fsync and the WAL is fsynced beside the event loop (sqlite/wal-sync.ts, on
 * libuv's pool): an append resolves only once its commit is on disk, as with `synchronous = FULL`,
 * while the next batch is committed meanwhile, and one fsync covers every batch written before it.
 * Reads show events up to the last durable one. The WAL is copied into the file by a checkpointer
 * on a thread of its own, so that no commit waits for a checkpoint. `:memory:` has no file to
 * share: it opens as {@link openSqliteChangeLog}.
 *
 * A full disk, an I/O error or a database file deleted while open becomes a fault of `health`, and
 * the appends are refused with a `StoreUnavailableError` (sqlite/faults.ts says which lasts).
 */
export async function openThreadedSqliteChangeLog(options: SqliteLogOptions): Promise<ChangeLog> {
  if (options.path === ':memory:') return openSqliteChangeLog(options);
  const deferSync = options.durability !== 'normal';
  const db = openSqliteDatabase(options);
  // A safety net only: the checkpointer keeps the WAL far below this unless it has stopped.
  db.pragma('wal_autocheckpoint = 20000');
  db.pragma('journal_size_limit = 67108864');
  if (deferSync) db.pragma('synchronous = NORMAL');
  const deferred = createDeferredWrites(db);
  // Before the first callback, which would otherwise wait for it.
  deferred.prime();
  const appendBatch = createSqliteAppend(db, deferred);
  const deferredWrites = scheduleDeferredWrites(deferred, options.deferredWriteMs ?? DEFERRED_WRITE_MS);
  const opened = statSync(options.path);
  const walSync = deferSync ? openWalSync(`${options.path}-wal`) : null;
  let durable = (db.prepare('SELECT max(seq) AS seq FROM events').get() as { seq: number | null }).seq ?? 0;
  const reader = createSqliteReader(db, {
    // A full disk or an I/O error is the store's fault, as for an append: reads say so (503).
    writeDeferred: () => {
      try {
        deferred.write();
      } catch (error) {
        throw toAppendError(error);
      }
    },
    ...(deferSync ? { visibleThrough: () => durable } : {}),
  });
  const health = createStoreHealth();
  const space = watchFreeSpace(dirname(options.path), health);
  let checkpointer: Worker | null = null;
  let closed = false;
  let closing: Promise<void> | null = null;
  let restarting: Promise<void> | null = null;
  await startCheckpointer();

  /**
   * Copies the WAL into the file beside the appends. One that stops is started again at the next
   * append: meanwhile SQLite's own checkpoints keep the WAL bounded.
   */
  async function startCheckpointer(): Promise<void> {
    const worker = await startCheckpointerThread(options);
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

  // Faults raised so far: a commit whose fsync reports after a later one failed must not clear
  // that newer fault (makeDurable).
  let faultsRaised = 0;

  /** The transaction's error, as the append's callers see it: a store fault, or the error as it came. */
  function toAppendError(error: unknown): unknown {
    const fault = classifySqliteError(error);
    if (!fault) return error;
    faultsRaised++;
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

  /**
   * Commits `entries` now, in this turn of the event loop. A file deleted (or replaced) while open
   * takes commits that the next start will never see: that commit is answered as an error.
   */
  function commit(entries: readonly LogEntry[]): AppendResult[] {
    if (closed) throw new Error('the change log is closed');
    let results: AppendResult[];
    try {
      results = appendBatch(entries);
      if (deferred.due()) writeDeferredNow(deferred);
      const now = statSync(options.path, { throwIfNoEntry: false });
      if (!now || now.ino !== opened.ino || now.dev !== opened.dev) {
        throw Object.assign(
          new Error(`the database file ${options.path} was deleted or replaced while open`),
          {
            code: FILE_GONE_CODE,
          },
        );
      }
    } catch (error) {
      throw toAppendError(error);
    }
    return results;
  }

  /**
   * Resolves once the commit of `results` is durable; results settle in commit order
   * (sqlite/wal-sync.ts). It says the log can be written again only if no commit failed since it
   * was written (`raisedBefore`, the faults raised before it): a later commit that found the disk
   * full keeps the log refusing until space is freed.
   */
  async function makeDurable(results: AppendResult[], raisedBefore: number): Promise<AppendResult[]> {
    if (walSync) {
      try {
        await walSync.sync();
      } catch (error) {
        throw health.fail('io_error', error, { lasting: true });
      }
      for (const result of results) durable = Math.max(durable, result.seq);
    }
    if (faultsRaised === raisedBefore) health.recover();
    return results;
  }

  /**
   * The committer of the group commit: commits what is waiting now, and frees the store for the
   * next commit before this one's fsync has reported (`written` before `results`).
   */
  function commitPipelined(entries: readonly LogEntry[]): CommitRun {
    if (entries.length === 0) return { written: Promise.resolve(), results: Promise.resolve([]) };
    restartCheckpointer();
    if (health.refusal()) {
      // Tried again once the fault may have cleared (a disk with room again).
      const results = checkHealth().then(() => {
        const raisedBefore = faultsRaised;
        return makeDurable(commit(entries), raisedBefore);
      });
      return { written: results.then(noop, noop), results };
    }
    let results: Promise<AppendResult[]>;
    try {
      const raisedBefore = faultsRaised;
      results = makeDurable(commit(entries), raisedBefore);
    } catch (error) {
      results = Promise.reject(error);
    }
    return { written: Promise.resolve(), results };
  }

  const commits = createGroupCommit((take) => commitPipelined(take()), options.groupCommit);
  return {
    ...reader,
    health,
    append: commits.append,
    waiting: commits.waiting,
    onCommit: commits.onCommit,
    drain: commits.drain,
    // One writer per file: nothing else appends, so there is nothing to hear.
    watch: () => () => {},
    close() {
      closing ??= (async () => {
        await commits.close();
        closed = true;
        deferredWrites.stop();
        writeDeferredNow(deferred);
        space.stop();
        await restarting;
        await Promise.all([checkpointer ? stopThread(checkpointer) : null, walSync?.close()]);
        db.close();
      })();
      return closing;
    },
  };
}

function noop(): void {}

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
 * The young generation of the checkpointer thread, MB: it holds next to nothing, and V8's default
 * would let it grow to 48 MB of the recorder's RSS.
 */
const YOUNG_GENERATION_MB = 8;

/** Starts the checkpointer and waits until its database is open and migrated. */
function startCheckpointerThread(options: SqliteLogOptions): Promise<Worker> {
  // Only what a thread can be sent: the group commit's settings hold functions.
  const settings: WorkerSettings = {
    options: { path: options.path, ...(options.durability ? { durability: options.durability } : {}) },
  };
  const worker = new Worker(checkpointerUrl(), {
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
      reject(new Error(`the SQLite checkpointer stopped while opening the log (exit code ${code})`));
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
