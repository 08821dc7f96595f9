import { randomInt } from 'node:crypto';

/** A reproducible stream of numbers in [0, 1): the same seed gives the same stream. */
export interface SeededRandom {
  /** The next number of the stream. */
  next(): number;
  /** Starts the stream again from `seed`. */
  reseed(seed: number): void;
  /** The seed the stream started from. */
  readonly seed: number;
}

/**
 * A small, fast generator (mulberry32) seeded with a 32-bit whole number; a random seed when
 * `seed` is `null`. Not for secrets: it only decides which faults the emulator injects.
 */
export function createSeededRandom(seed: number | null): SeededRandom {
  let start = seed ?? randomInt(0, 2 ** 32);
  let state = start >>> 0;
  return {
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    },
    reseed(next) {
      start = next;
      state = next >>> 0;
    },
    get seed() {
      return start;
    },
  };
}
