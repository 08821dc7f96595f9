import { describe, expect, it } from 'vitest';
import { applyChange, type ChangeInput } from '../../src/protocol/apply-change.js';
import type { Profile, ProfileChange } from '../../src/protocol/profile.js';

function change(
  changes: ProfileChange,
  eventTime: number | null,
  receivedAt = 1_000,
  operator = 'op',
): ChangeInput {
  return { changes, eventTime, operator, receivedAt };
}

/** Applies `inputs` in arrival order from an empty profile. */
function applyAll(inputs: ChangeInput[], start?: Profile): Profile {
  let profile = start;
  for (const input of inputs) profile = applyChange(profile, input).next;
  return profile ?? { fields: {} };
}

function valuesOf(profile: Profile): Record<string, string> {
  return Object.fromEntries(Object.entries(profile.fields).map(([field, state]) => [field, state.value]));
}

describe('applyChange', () => {
  it('reports every field of the first change with from = null', () => {
    const result = applyChange(undefined, change({ Name: 'A', Notification: 'N' }, 10, 1_000, 'leckie'));
    expect(result.diff).toEqual([
      { field: 'Name', from: null, to: 'A' },
      { field: 'Notification', from: null, to: 'N' },
    ]);
    expect(result.superseded).toEqual([]);
    expect(result.next.fields).toEqual({
      Name: { value: 'A', eventTime: 10, changedAt: 1_000, operator: 'leckie', seq: null },
      Notification: { value: 'N', eventTime: 10, changedAt: 1_000, operator: 'leckie', seq: null },
    });
  });

  it('lists a real change with its old and new value', () => {
    const first = applyChange(undefined, change({ Name: 'A' }, 10)).next;
    const result = applyChange(first, { ...change({ Name: 'B' }, 20, 2_000, 'admin'), seq: 7 });
    expect(result.diff).toEqual([{ field: 'Name', from: 'A', to: 'B' }]);
    expect(result.next.fields.Name).toEqual({
      value: 'B',
      eventTime: 20,
      changedAt: 2_000,
      operator: 'admin',
      seq: 7,
    });
  });

  it('leaves a field set to the value it already has out of the diff', () => {
    const first = applyChange(undefined, change({ Name: 'A', Introduction: 'I' }, 10)).next;
    const result = applyChange(first, change({ Name: 'A', Introduction: 'J' }, 20));
    expect(result.diff).toEqual([{ field: 'Introduction', from: 'I', to: 'J' }]);
    expect(result.next.fields.Name?.value).toBe('A');
  });

  it('keeps the fields a change does not carry', () => {
    const first = applyChange(undefined, change({ Name: 'A', FaceUrl: 'http://f' }, 10)).next;
    const result = applyChange(first, change({ Notification: 'N' }, 20));
    expect(valuesOf(result.next)).toEqual({ Name: 'A', FaceUrl: 'http://f', Notification: 'N' });
    expect(result.next.fields.Name).toBe(first.fields.Name);
  });

  it('diffs custom fields by key as customFields.<Key>', () => {
    const first = applyChange(undefined, change({ customFields: { K1: 'a', K2: 'b' } }, 10));
    expect(first.diff).toEqual([
      { field: 'customFields.K1', from: null, to: 'a' },
      { field: 'customFields.K2', from: null, to: 'b' },
    ]);
    const second = applyChange(first.next, change({ customFields: { K1: 'a', K2: 'c', K3: '' } }, 20));
    expect(second.diff).toEqual([
      { field: 'customFields.K2', from: 'b', to: 'c' },
      { field: 'customFields.K3', from: null, to: '' },
    ]);
    expect(valuesOf(second.next)).toEqual({
      'customFields.K1': 'a',
      'customFields.K2': 'c',
      'customFields.K3': '',
    });
  });

  it('keeps a base field and a custom field of the same name apart', () => {
    const result = applyChange(undefined, change({ Name: 'base', customFields: { Name: 'custom' } }, 10));
    expect(valuesOf(result.next)).toEqual({ Name: 'base', 'customFields.Name': 'custom' });
  });

  it('merges a custom field whose key is __proto__ like any other, in the order the change lists it', () => {
    // As describeEvent builds it: an own property, not the object's prototype.
    const customFields = Object.fromEntries([
      ['__proto__', 'p'],
      ['constructor', 'c'],
    ]) as Record<string, string>;
    const result = applyChange(undefined, change({ FaceUrl: 'f', Name: 'n', customFields }, 10));
    expect(result.diff.map((d) => [d.field, d.to])).toEqual([
      ['Name', 'n'],
      ['FaceUrl', 'f'],
      ['customFields.__proto__', 'p'],
      ['customFields.constructor', 'c'],
    ]);
  });

  it('lets an older change that arrives late lose, and reports the fields it lost in superseded', () => {
    const newer = applyChange(undefined, change({ Name: 'new', Notification: 'N' }, 200, 1_000)).next;
    const late = applyChange(newer, change({ Name: 'old', Introduction: 'I' }, 100, 2_000));
    expect(late.superseded).toEqual(['Name']);
    expect(late.diff).toEqual([{ field: 'Introduction', from: null, to: 'I' }]);
    expect(valuesOf(late.next)).toEqual({ Name: 'new', Notification: 'N', Introduction: 'I' });
    expect(late.next.fields.Name).toBe(newer.fields.Name);
  });

  it('reports a late older change of the same value as superseded, not as a change', () => {
    const newer = applyChange(undefined, change({ Name: 'same' }, 200)).next;
    const late = applyChange(newer, change({ Name: 'same' }, 100));
    expect(late.superseded).toEqual(['Name']);
    expect(late.diff).toEqual([]);
    expect(late.next.fields.Name?.eventTime).toBe(200);
  });

  it('lets the newer EventTime win whatever the arrival order', () => {
    const older = change({ Name: 'old' }, 100);
    const newer = change({ Name: 'new' }, 200);
    expect(valuesOf(applyAll([older, newer]))).toEqual({ Name: 'new' });
    expect(valuesOf(applyAll([newer, older]))).toEqual({ Name: 'new' });
  });

  it('lets the later arrival win when both EventTimes are equal', () => {
    const a = change({ Name: 'a' }, 100);
    const b = change({ Name: 'b' }, 100);
    expect(valuesOf(applyAll([a, b]))).toEqual({ Name: 'b' });
    expect(valuesOf(applyAll([b, a]))).toEqual({ Name: 'a' });
    expect(applyChange(applyAll([a]), b).superseded).toEqual([]);
  });

  it('lets the later arrival win when either change has no EventTime', () => {
    const timed = change({ Name: 'timed' }, 100);
    const untimed = change({ Name: 'untimed' }, null);
    expect(valuesOf(applyAll([timed, untimed]))).toEqual({ Name: 'untimed' });
    expect(valuesOf(applyAll([untimed, timed]))).toEqual({ Name: 'timed' });
    expect(valuesOf(applyAll([change({ Name: 'x' }, null), change({ Name: 'y' }, null)]))).toEqual({
      Name: 'y',
    });
  });

  it('advances the EventTime of a field set again to the same value, so an older late change still loses', () => {
    const first = applyAll([change({ Name: 'A' }, 100), change({ Name: 'A' }, 300)]);
    expect(first.fields.Name?.eventTime).toBe(300);
    const late = applyChange(first, change({ Name: 'B' }, 200));
    expect(late.superseded).toEqual(['Name']);
    expect(late.next.fields.Name?.value).toBe('A');
  });

  it('does not modify the profile it is given', () => {
    const profile = applyAll([change({ Name: 'A', customFields: { K: 'v' } }, 100)]);
    const snapshot = structuredClone(profile);
    const result = applyChange(
      profile,
      change({ Name: 'B', Introduction: 'I', customFields: { K: 'w' } }, 200),
    );
    expect(profile).toEqual(snapshot);
    expect(result.next).not.toBe(profile);
    expect(result.next.fields).not.toBe(profile.fields);

    const same = applyChange(profile, change({ Name: 'A' }, 300));
    expect(profile).toEqual(snapshot);
    expect(same.next.fields.Name?.eventTime).toBe(300);
  });

  it('changes nothing and reports nothing for an empty change', () => {
    const profile = applyAll([change({ Name: 'A' }, 100)]);
    expect(applyChange(profile, change({}, 200))).toEqual({ next: profile, diff: [], superseded: [] });
  });
});

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('applyChange over shuffled arrivals', () => {
  const FIELDS = ['Name', 'Introduction', 'Notification', 'FaceUrl'] as const;
  const KEYS = ['K1', 'K2', 'K3'];

  it('always ends, for each field, at the value of the change with the greatest EventTime', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const random = prng(seed);
      const count = 1 + Math.floor(random() * 12);
      // Distinct EventTimes, in a shuffled order of creation.
      const times = shuffle(
        Array.from({ length: count }, (_, i) => 1_700_000_000_000 + i * 1_000),
        random,
      );
      const inputs = times.map((eventTime, i): ChangeInput => {
        const changes: ProfileChange = {};
        for (const field of FIELDS)
          if (random() < 0.5) changes[field] = `${field}-${Math.floor(random() * 3)}`;
        const custom: Record<string, string> = {};
        for (const key of KEYS) if (random() < 0.4) custom[key] = `${key}-${Math.floor(random() * 3)}`;
        if (Object.keys(custom).length > 0) changes.customFields = custom;
        return change(changes, eventTime, 1_000 + i);
      });

      // The expected final value of each field: the one carried by the change with the max EventTime.
      const expected: Record<string, { value: string; eventTime: number }> = {};
      for (const input of inputs) {
        const entries: Array<[string, string]> = [
          ...FIELDS.flatMap((f): Array<[string, string]> =>
            input.changes[f] === undefined ? [] : [[f, input.changes[f]]],
          ),
          ...Object.entries(input.changes.customFields ?? {}).map(([k, v]): [string, string] => [
            `customFields.${k}`,
            v,
          ]),
        ];
        for (const [field, value] of entries) {
          const best = expected[field];
          if (!best || input.eventTime! > best.eventTime)
            expected[field] = { value, eventTime: input.eventTime! };
        }
      }
      const want = Object.fromEntries(Object.entries(expected).map(([f, { value }]) => [f, value]));

      for (let round = 0; round < 3; round++) {
        const arrival = shuffle(inputs, random);
        const final = applyAll(arrival);
        expect(valuesOf(final), `seed ${seed} round ${round}`).toEqual(want);
        for (const [field, { eventTime }] of Object.entries(expected)) {
          expect(final.fields[field]?.eventTime, `seed ${seed} ${field}`).toBe(eventTime);
        }
      }
    }
  });

  it('reports, over any arrival order, a diff chain that leads from nothing to the final value', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = prng(seed);
      const inputs = shuffle(
        Array.from({ length: 8 }, (_, i) => change({ Name: `n${Math.floor(random() * 4)}` }, 100 + i)),
        random,
      );
      let profile: Profile | undefined;
      let shown: string | null = null;
      for (const input of inputs) {
        const { next, diff } = applyChange(profile, input);
        for (const entry of diff) {
          expect(entry.from, `seed ${seed}`).toBe(shown);
          expect(entry.to).not.toBe(entry.from);
          shown = entry.to;
        }
        profile = next;
      }
      expect(shown).toBe(profile?.fields.Name?.value);
    }
  });
});
