import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';

/** Makes the SQLite WAL durable for commits that have already been written to it. */
export interface WalSync {
  /** Resolves once an fsync of the WAL that started after this call has finished. */
  sync(): Promise<void>;
  /** Waits for the fsync under way, then closes the file. */
  close(): Promise<void>;
}

/**
 * Opens the write-ahead log at `walPath` (the database file's name with `-wal`) for fsync. Callers
 * that ask while an fsync runs share the next one: one fsync makes every commit written before it
 * durable, so N batches committed during one fsync need one more, not N (group commit for the
 * disk, as PostgreSQL's WAL writer does). The file is synced once when opened, so every commit
 * already in it is durable too.
 *
 * After a failed fsync the kernel may have dropped the pages it could not write, and a later fsync
 * can succeed without them: every sync from then on fails, and the recorder must be restarted
 * (PostgreSQL panics on the same error for the same reason).
 */
export function openWalSync(walPath: string): WalSync {
  const fd = openSync(walPath, 'r');
  fdatasyncSync(fd);
  let running: Promise<void> | null = null;
  let waiting: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  let failed: Error | null = null;

  function start(): void {
    const batch = waiting;
    waiting = [];
    running = new Promise<void>((done) => {
      fdatasync(fd, (error) => {
        running = null;
        if (error) {
          failed ??= new Error(`fsync of ${walPath} failed (${error.message}): restart timhook`, {
            cause: error,
          });
        }
        for (const waiter of batch) {
          if (failed) waiter.reject(failed);
          else waiter.resolve();
        }
        if (waiting.length > 0) start();
        done();
      });
    });
  }

  return {
    sync() {
      if (failed) return Promise.reject(failed);
      return new Promise<void>((resolve, reject) => {
        waiting.push({ resolve, reject });
        if (!running) start();
      });
    },
    async close() {
      while (running) await running;
      closeSync(fd);
    },
  };
}
