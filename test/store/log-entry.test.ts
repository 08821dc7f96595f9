import { describe, expect, it } from 'vitest';
import { dedupeKey } from '../../src/protocol/index.js';
import { nodeDedupeKey } from '../../src/store/log-entry.js';
import { readSeed } from '../fixtures/seeds.js';

describe('nodeDedupeKey', () => {
  it('gives the same key as the protocol’s portable dedupeKey, for ASCII, CJK, emoji and the seed bodies', () => {
    const bodies = [
      readSeed('group-info-changed-both'),
      readSeed('topic-info-changed'),
      '{"Name":"运维 🚀"}',
      '',
    ];
    for (const body of bodies) {
      expect(nodeDedupeKey('1400000000', 'Group.CallbackAfterGroupInfoChanged', body)).toBe(
        dedupeKey('1400000000', 'Group.CallbackAfterGroupInfoChanged', body),
      );
    }
  });

  it('differs when the app, the command or the body differs', () => {
    const base = nodeDedupeKey('1', 'A', '{}');
    expect(nodeDedupeKey('2', 'A', '{}')).not.toBe(base);
    expect(nodeDedupeKey('1', 'B', '{}')).not.toBe(base);
    expect(nodeDedupeKey('1', 'A', '{ }')).not.toBe(base);
  });
});
