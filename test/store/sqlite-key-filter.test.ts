import { describe, expect, it } from 'vitest';
import { createKeyFilter } from '../../src/store/sqlite/key-filter.js';

/** `count` distinct pseudo-random integers below 2^bits, from `seed` (a xorshift generator). */
function hashesOf(count: number, bits: 32 | 52, seed: number): number[] {
  let state = seed;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const out = new Set<number>();
  while (out.size < count) out.add(bits === 32 ? next() : (next() & 0xfffff) * 0x1_0000_0000 + next());
  return [...out];
}

describe('the filter of the dedupe hashes a SQLite log holds', () => {
  it.each([52, 32] as const)(
    'never says no to a hash of %i bits it was given, past several layers',
    (bits) => {
      const filter = createKeyFilter();
      const given = hashesOf(300_000, bits, 7);
      for (const hash of given) filter.add(hash);
      expect(filter.size).toBe(given.length);
      expect(given.filter((hash) => !filter.mayHold(hash))).toEqual([]);
    },
  );

  it.each([52, 32] as const)('says maybe to few hashes of %i bits it was not given', (bits) => {
    const filter = createKeyFilter();
    const all = hashesOf(400_000, bits, 11);
    for (const hash of all.slice(0, 200_000)) filter.add(hash);
    const wrong = all.slice(200_000).filter((hash) => filter.mayHold(hash)).length;
    // About 1 in 1,400 per full layer: three layers hold 200,000 keys.
    expect(wrong / 200_000).toBeLessThan(0.004);
  });

  it('says no to everything while empty', () => {
    const filter = createKeyFilter();
    expect(hashesOf(1000, 52, 3).some((hash) => filter.mayHold(hash))).toBe(false);
  });
});
