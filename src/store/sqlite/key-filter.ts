/**
 * The dedupe hashes (sqlite/dedupe-hash.ts) a SQLite log may hold, in memory: a Bloom filter, so
 * that a fresh key (every callback but a retry) is known fresh without a lookup in the file. It
 * may say "maybe" for a hash it was never given (about 1 in 1,400 per layer), never "no" for one it was. It
 * grows in layers, each twice the last, so that it never has to be filled again from the file.
 *
 * Written here rather than taken from a package: the hashes are already uniform integers, and
 * the Bloom filter packages hash strings again on every look.
 */
export interface KeyFilter {
  add(hash: number): void;
  /** False only when `hash` was never added. */
  mayHold(hash: number): boolean;
  /** How many hashes were added. */
  readonly size: number;
}

/** Keys the first layer holds; each next layer holds twice the last. */
const FIRST_LAYER_KEYS = 1 << 16;
/** Bits per key, and bits set per key: a false "maybe" about 1 in 1,400 per full layer. */
const BITS_PER_KEY = 16;
const PROBES = 7;

interface Layer {
  bits: Uint32Array;
  /** Bit positions are taken modulo the layer's size, a power of two. */
  mask: number;
  capacity: number;
  count: number;
}

/** An empty filter; it takes 2 to 4 bytes per key added. */
export function createKeyFilter(): KeyFilter {
  const layers: Layer[] = [];
  let size = 0;

  function newLayer(capacity: number): Layer {
    const bitCount = capacity * BITS_PER_KEY;
    return { bits: new Uint32Array(bitCount >>> 5), mask: bitCount - 1, capacity, count: 0 };
  }

  return {
    add(hash) {
      let layer = layers[layers.length - 1];
      if (!layer || layer.count >= layer.capacity) {
        layer = newLayer(layer ? layer.capacity * 2 : FIRST_LAYER_KEYS);
        layers.push(layer);
      }
      const [first, step] = probesOf(hash);
      for (let i = 0, at = first; i < PROBES; i++, at = (at + step) | 0) {
        const bit = at & layer.mask;
        layer.bits[bit >>> 5]! |= 1 << (bit & 31);
      }
      layer.count++;
      size++;
    },
    mayHold(hash) {
      const [first, step] = probesOf(hash);
      for (const layer of layers) {
        let all = true;
        for (let i = 0, at = first; i < PROBES && all; i++, at = (at + step) | 0) {
          const bit = at & layer.mask;
          all = (layer.bits[bit >>> 5]! & (1 << (bit & 31))) !== 0;
        }
        if (all) return true;
      }
      return false;
    },
    get size() {
      return size;
    },
  };
}

const probes: [number, number] = [0, 0];

/**
 * The first bit and the step between bits of `hash` (double hashing): from its low 32 bits and
 * the bits above them, mixed so that hashes of 32 bits alone spread as well.
 */
function probesOf(hash: number): [number, number] {
  const low = hash >>> 0;
  const high = Math.floor(hash / 0x1_0000_0000) >>> 0;
  probes[0] = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
  probes[1] = (Math.imul(low ^ (low >>> 15), 0xc2b2ae35) ^ high) | 1;
  return probes;
}
