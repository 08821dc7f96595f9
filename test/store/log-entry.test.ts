import { describe, expect, it, vi } from 'vitest';
import { dedupeKey } from '../../src/protocol/index.js';
import { hasObjectBody } from '../../src/protocol/object-bodies.js';
import { nodeDedupeKey } from '../../src/store/log-entry.js';
import { openSqliteChangeLog } from '../../src/store/sqlite/in-thread.js';
import { groupChanged } from './entries.js';
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

describe('an entry of a body the receiver parsed', () => {
  it('is known to hold one JSON object, so a store splices it in without parsing it again', async () => {
    const entry = await groupChanged('@TGS#1NAMED', { Name: 'Parsed' });
    expect(hasObjectBody(entry)).toBe(true);
    // A copy is another entry: its body may be anything (the contract suite sends such copies).
    expect(hasObjectBody({ ...entry, rawBody: 'not json' })).toBe(false);
  });

  it('is logged with its body spliced in, and a copy with another body is rendered from that body', async () => {
    const log = openSqliteChangeLog({ path: ':memory:' });
    try {
      const entry = await groupChanged('@TGS#1NAMED', { Name: 'Parsed' });
      const parse = vi.spyOn(JSON, 'parse');
      const [fresh] = await log.append([entry]);
      const bodyParses = parse.mock.calls.filter(([text]) => text === entry.rawBody).length;
      parse.mockRestore();
      expect(bodyParses).toBe(0);
      const copies = await log.append([
        { ...entry, rawBody: 'not json', dedupeKey: 'copy-1' },
        { ...entry, rawBody: '{\n  "Name": "two lines"\n}', dedupeKey: 'copy-2' },
      ]);
      const rendered = [fresh, ...copies].map(
        (result) => !result!.duplicate && JSON.parse(result!.rendered.json),
      );
      expect(rendered.map((event) => event.raw)).toEqual([
        JSON.parse(entry.rawBody),
        'not json',
        { Name: 'two lines' },
      ]);
    } finally {
      await log.close();
    }
  });
});
