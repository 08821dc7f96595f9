/**
 * The SQLite threads of the change log (see sqlite-threaded.ts). The writer owns the connection
 * that appends, so that the transaction and its fsync run beside the callback endpoint's event
 * loop, not on it. The checkpointer copies the WAL into the database file on a connection of its
 * own, so that no commit waits for a checkpoint (and its fsync of the whole file).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { LogEntry } from './change-log.js';
import { type AppendOutcome, createSqliteAppend } from './sqlite-append.js';
import { openSqliteDatabase, type SqliteOptions } from './sqlite-database.js';

/** What a thread of the change log is started with. */
export interface WorkerSettings {
  role: 'writer' | 'checkpointer';
  options: SqliteOptions;
  /** The checkpointer's period, ms. */
  checkpointMs?: number;
  /**
   * The writer commits without fsync (`synchronous = NORMAL`): the thread that opened it fsyncs
   * the WAL after each commit, beside the next one, and answers only then (see wal-sync.ts).
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
  | { id: number; error: { message: string; name: string; code?: string } }
  | { closed: true };

const port = parentPort;
if (!port) throw new Error('[timhook] sqlite-worker.js runs on a worker thread only');

const settings = workerData as WorkerSettings;

try {
  const db = openSqliteDatabase(settings.options);
  if (settings.role === 'checkpointer') runCheckpoints(db, settings.checkpointMs ?? 100);
  else {
    // A safety net only: the checkpointer keeps the WAL far below this unless it has stopped.
    db.pragma('wal_autocheckpoint = 20000');
    db.pragma('journal_size_limit = 67108864');
    if (settings.deferSync) db.pragma('synchronous = NORMAL');
    serveAppends(db);
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

/** Copies the WAL into the file every `periodMs`, without waiting for readers or the writer (PASSIVE). */
function runCheckpoints(db: Database.Database, periodMs: number): void {
  // After a complete checkpoint the writer starts the WAL over; past this it is also cut back.
  db.pragma('journal_size_limit = 67108864');
  const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), periodMs);
  port!.on('message', (request: WriterRequest) => closeOn(db, request, () => clearInterval(timer)));
}

/** Answers append requests, one transaction each, in the order they come. */
function serveAppends(db: Database.Database): void {
  const append = createSqliteAppend(db);
  port!.on('message', (request: WriterRequest) => {
    if ('close' in request) {
      closeOn(db, request);
      return;
    }
    let reply: WriterReply;
    try {
      reply = { id: request.id, outcomes: append(request.entries) };
    } catch (error) {
      const { message, name, code } = error as Error & { code?: unknown };
      reply = {
        id: request.id,
        error: { message, name, ...(typeof code === 'string' ? { code } : {}) },
      };
    }
    port!.postMessage(reply);
  });
}
