/**
 * The SQLite threads of the change log (see sqlite/threaded.ts). The writer owns the connection
 * that appends, so that the transaction and its fsync run beside the callback endpoint's event
 * loop, not on it. The checkpointer copies the WAL into the database file on a connection of its
 * own, so that no commit waits for a checkpoint (and its fsync of the whole file).
 */
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { LogEntry } from '../change-log.js';
import { type AppendOutcome, createSqliteAppend } from './append.js';
import { openSqliteDatabase, type SqliteOptions } from './database.js';
import { FILE_GONE_CODE } from './faults.js';

/** What a thread of the change log is started with. */
export interface WorkerSettings {
  role: 'writer' | 'checkpointer';
  options: SqliteOptions;
  /** The checkpointer's period, ms. */
  checkpointMs?: number;
  /**
   * The writer commits without fsync (`synchronous = NORMAL`): the thread that opened it fsyncs
   * the WAL after each commit, beside the next one, and answers only then (see sqlite/wal-sync.ts).
   */
  deferSync?: boolean;
}

/** A request to the writer thread. */
export type WriterRequest = { id: number; entries: readonly LogEntry[] } | { close: true };

/** An answer from the writer thread. */
export type WriterReply =
  | { ready: true }
  | { failed: { message: string; name: string } }
  | { id: number; outcomes: AppendOutcome[] }
  | { id: number; error: ErrorReply }
  /** A checkpoint failed; sent once per kind of error, not on every retry. */
  | { checkpointFailed: ErrorReply }
  | { closed: true };

/** An error, as it crosses threads. */
export interface ErrorReply {
  message: string;
  name: string;
  code?: string;
}

const port = parentPort;
if (!port) throw new Error('[timhook] sqlite/worker.js runs on a worker thread only');

const settings = workerData as WorkerSettings;

try {
  const db = openSqliteDatabase(settings.options);
  if (settings.role === 'checkpointer') runCheckpoints(db, settings.checkpointMs ?? 100);
  else {
    // A safety net only: the checkpointer keeps the WAL far below this unless it has stopped.
    db.pragma('wal_autocheckpoint = 20000');
    db.pragma('journal_size_limit = 67108864');
    if (settings.deferSync) db.pragma('synchronous = NORMAL');
    serveAppends(db, settings.options.path);
  }
  port.postMessage({ ready: true } satisfies WriterReply);
} catch (error) {
  const { message, name } = error as Error;
  port.postMessage({ failed: { message, name } } satisfies WriterReply);
  port.close();
}

function closeOn(db: Database.Database, request: WriterRequest, stop: () => void = () => {}): boolean {
  if (!('close' in request)) return false;
  stop();
  db.close();
  port!.postMessage({ closed: true } satisfies WriterReply);
  port!.close();
  return true;
}

function toErrorReply(error: unknown): ErrorReply {
  const { message, name, code } = error as Error & { code?: unknown };
  return { message, name, ...(typeof code === 'string' ? { code } : {}) };
}

/**
 * Copies the WAL into the file every `periodMs`, without waiting for readers or the writer
 * (PASSIVE). A failed checkpoint (a full disk, an I/O error) is retried at the next period: the
 * WAL keeps every commit meanwhile.
 */
function runCheckpoints(db: Database.Database, periodMs: number): void {
  // After a complete checkpoint the writer starts the WAL over; past this it is also cut back.
  db.pragma('journal_size_limit = 67108864');
  let lastFailure: string | null = null;
  const timer = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
      lastFailure = null;
    } catch (error) {
      const reply = toErrorReply(error);
      const kind = reply.code ?? reply.message;
      if (kind === lastFailure) return;
      lastFailure = kind;
      port!.postMessage({ checkpointFailed: reply } satisfies WriterReply);
    }
  }, periodMs);
  port!.on('message', (request: WriterRequest) => closeOn(db, request, () => clearInterval(timer)));
}

/**
 * Answers append requests, one transaction each, in the order they come. After each commit it
 * checks that the path still names the file it opened: a file deleted (or replaced) while open
 * takes commits that the next start will never see, so that commit is answered as an error.
 */
function serveAppends(db: Database.Database, path: string): void {
  const append = createSqliteAppend(db);
  const opened = statSync(path);
  port!.on('message', (request: WriterRequest) => {
    if ('close' in request) {
      closeOn(db, request);
      return;
    }
    let reply: WriterReply;
    try {
      const outcomes = append(request.entries);
      const now = statSync(path, { throwIfNoEntry: false });
      reply =
        now && now.ino === opened.ino && now.dev === opened.dev
          ? { id: request.id, outcomes }
          : {
              id: request.id,
              error: {
                message: `the database file ${path} was deleted or replaced while open`,
                name: 'Error',
                code: FILE_GONE_CODE,
              },
            };
    } catch (error) {
      reply = { id: request.id, error: toErrorReply(error) };
    }
    port!.postMessage(reply);
  });
}
