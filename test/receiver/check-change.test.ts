import { describe, expect, it } from 'vitest';
import { BodySchemas, Commands, parseBody } from '../../src/protocol/index.js';
import { CHANGE_FIELDS, checkChangeFast } from '../../src/receiver/check-change.js';
import { readSeedJson, SEED_REQUESTS, type SeedRequestName } from '../fixtures/seeds.js';

const CHANGES = [Commands.GroupInfoChanged, Commands.TopicInfoChanged] as const;

/** A comparable form that keeps key order and keys whose value is `undefined`. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (typeof value === 'object' && value !== null) {
    return Object.keys(value).map((key) => [key, shape((value as Record<string, unknown>)[key])]);
  }
  return value === undefined ? '(undefined)' : value;
}

const custom = [
  { Key: 'k1', Value: 'v1' },
  { Value: '', Key: 'k2', Extra: [1] },
];

/** Bodies around every field: valid, invalid and odd. */
function variants(command: string): unknown[] {
  const base = { CallbackCommand: command, GroupId: '@TGS#2J4SZEAEL' };
  return [
    base,
    { ...base, Type: 'Public', Operator_Account: 'leckie' },
    {
      Zeta: 1,
      ...base,
      Alpha: { nested: true },
      Name: 'n',
      Introduction: 'i',
      Notification: '',
      FaceUrl: 'f',
    },
    { FaceUrl: 'f', Name: 'n', ...base, Type: 'Community' },
    { ...base, EventTime: 1_700_000_000_123 },
    { ...base, EventTime: '1700000000123' },
    { ...base, EventTime: 'soon' },
    { ...base, EventTime: -1 },
    { ...base, EventTime: 1.5 },
    { ...base, EventTime: null },
    { ...base, EventTime: undefined },
    { ...base, EventTime: {} },
    { ...base, Name: undefined },
    { ...base, Name: null },
    { ...base, Name: 42 },
    { ...base, Introduction: ['x'] },
    { ...base, Operator_Account: false },
    { ...base, GroupId: '' },
    { ...base, GroupId: 7 },
    { CallbackCommand: command },
    { GroupId: 'g' },
    { ...base, CallbackCommand: 7 },
    { ...base, TopicId: 'topic' },
    { ...base, TopicId: '' },
    { ...base, TopicId: 5 },
    { ...base, TopicId: undefined },
    { ...base, UserDefinedDataList: custom },
    { ...base, UserDefinedDataList: [] },
    { ...base, UserDefinedDataList: undefined },
    { ...base, UserDefinedDataList: [{ Key: '', Value: 'v' }] },
    { ...base, UserDefinedDataList: [{ Key: 'k' }] },
    { ...base, UserDefinedDataList: [{ Key: 'k', Value: 1 }] },
    { ...base, UserDefinedDataList: [null] },
    { ...base, UserDefinedDataList: [['k', 'v']] },
    { ...base, UserDefinedDataList: {} },
    { ...base, UserDefinedDataList: 'k=v' },
    JSON.parse(`{"__proto__": {"Name": "x"}, "GroupId": "g", "CallbackCommand": "${command}"}`),
    JSON.parse(
      `{"GroupId": "g", "CallbackCommand": "c", "UserDefinedDataList": [{"Key":"k","Value":"v","__proto__":{}}]}`,
    ),
    Object.assign(Object.create(null), base),
    new (class Body {
      CallbackCommand = command;
      GroupId = 'g';
    })(),
    [],
    'text',
    null,
    undefined,
  ];
}

describe('the quick check of a profile change', () => {
  it.each(CHANGES)('lists the fields of %s in the order of its zod shape', (command) => {
    expect(CHANGE_FIELDS[command]).toEqual(Object.keys(BodySchemas[command].shape));
  });

  it.each(CHANGES)('accepts only what zod accepts for %s, and gives exactly zod’s output', (command) => {
    let accepted = 0;
    for (const body of variants(command)) {
      const quick = checkChangeFast(command, body);
      if (quick === undefined) continue;
      accepted++;
      const slow = parseBody(command, body);
      expect(slow.ok, JSON.stringify(body)).toBe(true);
      if (slow.ok) expect(shape(quick), JSON.stringify(body)).toEqual(shape(slow.body));
    }
    expect(accepted).toBeGreaterThan(15);
  });

  it.each(Object.entries(SEED_REQUESTS) as Array<[SeedRequestName, typeof Commands.GroupInfoChanged]>)(
    'accepts the seed sample %s, as zod parses it',
    (name, command) => {
      const body = readSeedJson(name);
      const quick = checkChangeFast(command, body);
      const slow = parseBody(command, body);
      expect(quick).toBeDefined();
      expect(slow.ok && shape(quick)).toEqual(slow.ok && shape(slow.body));
    },
  );

  it('leaves every other command to zod', () => {
    const body = { CallbackCommand: Commands.CreateGroup, GroupId: 'g' };
    expect(checkChangeFast(Commands.CreateGroup, body)).toBeUndefined();
  });

  it('copies what it checked and keeps unknown values by reference, as zod does', () => {
    const extra = { deep: [1] };
    const body = { CallbackCommand: 'c', GroupId: 'g', UserDefinedDataList: custom, Extra: extra };
    const quick = checkChangeFast(Commands.GroupInfoChanged, body)!;
    const slow = parseBody(Commands.GroupInfoChanged, body);
    expect(quick).not.toBe(body);
    expect(quick.UserDefinedDataList).not.toBe(custom);
    expect(quick.UserDefinedDataList?.[0]).not.toBe(custom[0]);
    expect(quick.Extra).toBe(extra);
    expect(slow.ok && slow.body.Extra).toBe(extra);
  });
});
