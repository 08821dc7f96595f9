/**
 * The checkpointer thread of the change log (see sqlite/threaded.ts): it copies the WAL into the
 * database file on a connection of its own, so that no commit waits for a checkpoint (and its
 * fsync of the whole file).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { openSqliteDatabase, type SqliteOptions } from './database.js';

/** What the checkpointer is started with. */
export interface WorkerSettings {
  options: SqliteOptions;
  /** The checkpointer's period, ms. */
  checkpointMs?: number;
}

/** A request to the checkpointer. */
export type WriterRequest = { close: true };

/** An answer from the checkpointer. */
export type WriterReply =
  | { ready: true }
  | { failed: { message: string; name: string } }
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
  runCheckpoints(db, settings.checkpointMs ?? 100);
  port.postMessage({ ready: true } satisfies WriterReply);
} catch (error) {
  const { message, name } = error as Error;
  port.postMessage({ failed: { message, name } } satisfies WriterReply);
  port.close();
}

function closeOn(db: Database.Database, request: WriterRequest, stop: () => void): boolean {
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
