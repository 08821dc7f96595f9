/** A counting semaphore: at most `count` holders at once, waiters served first come, first served. */
export interface Permits {
  acquire(): Promise<void>;
  release(): void;
}

/** Creates {@link Permits} with `count` permits. */
export function createPermits(count: number): Permits {
  let free = count;
  const waiting: Array<() => void> = [];
  let head = 0;
  return {
    acquire() {
      if (free > 0 && head === waiting.length) {
        free--;
        return Promise.resolve();
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    release() {
      if (head < waiting.length) {
        const next = waiting[head]!;
        head++;
        if (head === waiting.length) {
          waiting.length = 0;
          head = 0;
        }
        next(); // the permit passes on
      } else free++;
    },
  };
}
