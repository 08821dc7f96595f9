import { statfs } from 'node:fs/promises';
import type { StoreHealthTracker } from '../store-health.js';

/**
 * Space, bytes, that must be freed after the disk filled before the log tries it again: a try
 * that fails costs a rolled-back transaction, and a fault cleared too soon a pair of log lines.
 */
export const MIN_FREED_BYTES = 256 * 1024;

/** The free space of a full disk, watched until it has room again. */
export interface FreeSpaceWatch {
  /** The disk was found full: remember how much it has free now. */
  filled(): void;
  /** True once {@link MIN_FREED_BYTES} more are free than at the last `filled` (or space cannot be read). */
  hasRoom(): Promise<boolean>;
  stop(): void;
}

async function freeBytes(folder: string): Promise<number | null> {
  const space = await statfs(folder).catch(() => null);
  return space ? space.bavail * space.bsize : null;
}

/**
 * Watches the disk of `folder` while `health` says it is full, every `periodMs`, and clears the
 * fault once space has been freed: a recorder taken out of rotation by its `/readyz` gets no
 * callbacks that could show it recovered. An append that still fails sets the fault again.
 */
export function watchFreeSpace(folder: string, health: StoreHealthTracker, periodMs = 1000): FreeSpaceWatch {
  let timer: ReturnType<typeof setInterval> | null = null;
  let whenFull: Promise<number | null> = Promise.resolve(null);

  async function hasRoom(): Promise<boolean> {
    const [before, now] = await Promise.all([whenFull, freeBytes(folder)]);
    return before === null || now === null || now >= before + MIN_FREED_BYTES;
  }
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = null;
  };
  const unsubscribe = health.onChange((status) => {
    if (status.state !== 'fault' || status.fault !== 'disk_full') return stop();
    if (timer) return;
    timer = setInterval(() => {
      void hasRoom().then((room) => {
        if (room) health.recover();
      });
    }, periodMs);
    timer.unref?.();
  });

  return {
    filled() {
      whenFull = freeBytes(folder);
    },
    hasRoom,
    stop() {
      unsubscribe();
      stop();
    },
  };
}
