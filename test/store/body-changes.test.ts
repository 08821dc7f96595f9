import { describe, expect, it } from 'vitest';
import { Commands } from '../../src/protocol/index.js';
import { changesOfRawBody, isChangeOfBody, readChangesOfRawBody } from '../../src/store/body-changes.js';
import { readSeed, SEED_REQUEST_NAMES, SEED_REQUESTS } from '../fixtures/seeds.js';
import { groupChanged, G1, seedEntry, topicsDestroyed, C1, T1 } from './entries.js';

describe('the changes a callback’s body holds', () => {
  it('reads from each seed body again the changes the recorder read when it came, as the same JSON', async () => {
    for (const name of SEED_REQUEST_NAMES) {
      const entry = await seedEntry(name);
      expect(readChangesOfRawBody(SEED_REQUESTS[name], readSeed(name))).toEqual(entry.changes);
      expect(changesOfRawBody(SEED_REQUESTS[name], readSeed(name))).toBe(JSON.stringify(entry.changes));
    }
  });

  it('keeps custom fields in the order and with the values the body lists them, the last of a key winning', () => {
    const body = JSON.stringify({
      GroupId: G1,
      Name: 'n',
      UserDefinedDataList: [
        { Key: 'b', Value: '1' },
        { Key: '__proto__', Value: '2' },
        { Key: 'b', Value: '3' },
      ],
    });
    expect(changesOfRawBody(Commands.GroupInfoChanged, body)).toBe(
      '{"Name":"n","customFields":{"b":"3","__proto__":"2"}}',
    );
  });

  it('reads no changes for a destroy, an unknown command or a body that is not a JSON object', () => {
    expect(changesOfRawBody(Commands.GroupDestroyed, '{"GroupId":"g","Name":"x"}')).toBe('{}');
    expect(changesOfRawBody('Group.CallbackSomethingNew', '{"Name":"x"}')).toBe('{}');
    expect(changesOfRawBody(Commands.GroupInfoChanged, '[1]')).toBe('{}');
    expect(changesOfRawBody(Commands.GroupInfoChanged, 'not json')).toBe('{}');
  });

  it('tells an entry whose changes are the ones read from its body from a copy given other changes', async () => {
    const entry = await groupChanged(G1, { Name: 'One' });
    expect(isChangeOfBody(entry)).toBe(true);
    expect(isChangeOfBody({ ...entry, changes: { Name: 'One' } })).toBe(false);
    // A body the receiver did not parse (here: another one put in its place) is not trusted.
    expect(isChangeOfBody({ ...entry, rawBody: `${entry.rawBody} ` })).toBe(false);
    expect(isChangeOfBody(await topicsDestroyed(C1, [T1]))).toBe(true);
  });
});
