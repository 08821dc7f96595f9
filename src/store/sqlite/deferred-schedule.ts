import type { DeferredWrites } from './deferred-writes.js';

/** How long one transaction of the periodic write may hold the event loop, ms. */
const MS_PER_TURN = 2;

/**
 * Writes what is held every `periodMs`, in slices (see {@link DeferredWrites.writeSome}), one per
 * turn of the event loop, so that no append waits long behind them. A failure (a full disk) leaves
 * it to the next period, and to the file (it is projected from it again); the reads, which write
 * first, report it, and so do the appends.
 */
export function scheduleDeferredWrites(deferred: DeferredWrites, periodMs: number): { stop(): void } {
  let stopped = false;
  let writing = false;
  const writeTurn = () => {
    let left = 0;
    try {
      if (!stopped) left = deferred.writeSome(MS_PER_TURN);
    } catch {
      left = 0;
    }
    writing = left > 0;
    if (writing) setImmediate(writeTurn);
  };
  const timer = setInterval(() => {
    if (writing) return;
    writing = true;
    writeTurn();
  }, periodMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** Writes everything held now; a failure is left as {@link scheduleDeferredWrites} leaves it. */
export function writeDeferredNow(deferred: Pick<DeferredWrites, 'write'>): void {
  try {
    deferred.write();
  } catch {
    // Reported by the next read of profiles, and by the appends.
  }
}
