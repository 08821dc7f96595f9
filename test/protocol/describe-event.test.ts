import { describe, expect, it } from 'vitest';
import { Commands, isKnownCommand } from '../../src/protocol/commands.js';
import { describeEvent } from '../../src/protocol/describe-event.js';
import type { AnyEvent } from '../../src/protocol/event.js';
import { readCallbackQuery } from '../../src/protocol/query.js';
import { parseBody } from '../../src/protocol/schemas.js';
import { readSeed, type SeedRequestName } from '../fixtures/seeds.js';

const COMMUNITY = '@TGS#_@TGS#cQVLVHIM62CJ';
const TOPIC = `${COMMUNITY}@TOPIC#_@TOPIC#cYWHVHIM62CP`;

/** A verified event as the receiver builds it: the body parsed by its schema when the command has one. */
function eventOf(command: string, body: Record<string, unknown>, rawBody = JSON.stringify(body)): AnyEvent {
  let typed: unknown = body;
  if (isKnownCommand(command)) {
    const result = parseBody(command, body);
    if (!result.ok) throw new Error(result.problems.join('; '));
    typed = result.body;
  }
  return {
    command,
    body: typed as Record<string, unknown>,
    rawBody,
    query: readCallbackQuery(new URLSearchParams({ SdkAppid: '1400000000', CallbackCommand: command })),
    sdkAppId: '1400000000',
    receivedAt: 1_700_000_000_000,
  };
}

function seedEvent(name: SeedRequestName): AnyEvent {
  const raw = readSeed(name);
  const body = JSON.parse(raw) as Record<string, unknown>;
  return eventOf(String(body.CallbackCommand), body, raw);
}

describe('describeEvent on the seed samples', () => {
  it('describes the seed 000 topic change as a change of an unknown topic of the community', () => {
    expect(describeEvent(seedEvent('topic-info-changed'))).toEqual({
      kind: 'topic',
      effect: 'change',
      groupId: '@TGS#2J4SZEAEL',
      topicId: null,
      topicIds: [],
      groupType: 'Community',
      operator: 'leckie',
      eventTime: null,
      changes: {
        Name: 'TestTopic',
        Introduction: 'TestIntroduction',
        Notification: 'NewNotification',
        FaceUrl: 'http://this.is.face.url',
      },
    });
  });

  it('describes the seed 003 basic sample as a group change of Notification only', () => {
    expect(describeEvent(seedEvent('group-info-changed-basic'))).toEqual({
      kind: 'group',
      effect: 'change',
      groupId: '@TGS#2J4SZEAEL',
      topicId: null,
      topicIds: [],
      groupType: 'Public',
      operator: 'leckie',
      eventTime: null,
      changes: { Notification: 'NewNotification' },
    });
  });

  it('describes the seed 003 custom-field sample as a change of one custom field by key', () => {
    expect(describeEvent(seedEvent('group-info-changed-custom')).changes).toEqual({
      customFields: { UserDefinedKey2: 'UserDefinedValue2' },
    });
  });

  it('describes the seed 003 sample that changes everything with every field and custom key', () => {
    expect(describeEvent(seedEvent('group-info-changed-both')).changes).toEqual({
      Name: 'NewGroupName',
      Introduction: 'NewIntroduction',
      Notification: 'NewNotification',
      FaceUrl: 'NewFaceUrl',
      customFields: {
        UserDefinedKey1: 'UserDefinedValue1',
        UserDefinedKey2: 'UserDefinedValue2',
        UserDefinedKey3: 'UserDefinedValue3',
      },
    });
  });
});

describe('describeEvent on topic changes', () => {
  const topicChange = { CallbackCommand: Commands.TopicInfoChanged, Type: 'Community', Name: 'T' };

  it('takes the topic from TopicId and the community from GroupId', () => {
    const facts = describeEvent(
      eventOf(Commands.TopicInfoChanged, { ...topicChange, GroupId: COMMUNITY, TopicId: TOPIC }),
    );
    expect(facts).toMatchObject({ kind: 'topic', groupId: COMMUNITY, topicId: TOPIC });
  });

  it('reads a GroupId that is a topic id as the community id and the topic', () => {
    const facts = describeEvent(eventOf(Commands.TopicInfoChanged, { ...topicChange, GroupId: TOPIC }));
    expect(facts).toMatchObject({ kind: 'topic', effect: 'change', groupId: COMMUNITY, topicId: TOPIC });
    expect(facts.changes).toEqual({ Name: 'T' });
  });

  it('gives the community, not the topic id, when GroupId and TopicId are both the topic id', () => {
    const facts = describeEvent(
      eventOf(Commands.TopicInfoChanged, { ...topicChange, GroupId: TOPIC, TopicId: TOPIC }),
    );
    expect(facts).toMatchObject({ groupId: COMMUNITY, topicId: TOPIC });
  });

  it('attaches a topic change without TopicId to the community with the topic unknown', () => {
    const facts = describeEvent(eventOf(Commands.TopicInfoChanged, { ...topicChange, GroupId: COMMUNITY }));
    expect(facts).toMatchObject({ kind: 'topic', effect: 'change', groupId: COMMUNITY, topicId: null });
  });

  it('treats an empty TopicId as no TopicId', () => {
    const facts = describeEvent(
      eventOf(Commands.TopicInfoChanged, { ...topicChange, GroupId: COMMUNITY, TopicId: '' }),
    );
    expect(facts).toMatchObject({ groupId: COMMUNITY, topicId: null });
  });
});

describe('describeEvent and EventTime', () => {
  const change = { CallbackCommand: Commands.GroupInfoChanged, GroupId: '@TGS#g', Name: 'n' };

  it('gives EventTime sent as a number', () => {
    expect(
      describeEvent(eventOf(Commands.GroupInfoChanged, { ...change, EventTime: 1700000000123 })).eventTime,
    ).toBe(1700000000123);
  });

  it('gives EventTime sent as a numeric string, as a number', () => {
    expect(
      describeEvent(eventOf(Commands.GroupInfoChanged, { ...change, EventTime: '1700000000123' })).eventTime,
    ).toBe(1700000000123);
  });

  it('gives the numeric-string EventTime of a callback it has no schema for, as a number', () => {
    const facts = describeEvent(
      eventOf('Group.CallbackAfterNewMemberJoin', { GroupId: '@TGS#g', EventTime: '1700000000123' }),
    );
    expect(facts.effect).toBe('none');
    expect(facts.eventTime).toBe(1700000000123);
  });
});

describe('describeEvent on lifecycle callbacks', () => {
  it('describes a group creation with its profile and custom fields and the owner as operator', () => {
    const facts = describeEvent(
      eventOf(Commands.CreateGroup, {
        CallbackCommand: Commands.CreateGroup,
        GroupId: '@TGS#g',
        Type: 'Public',
        Owner_Account: 'owner',
        Name: 'G',
        Introduction: 'I',
        MemberList: [{ Member_Account: 'owner' }],
        UserDefinedDataList: [{ Key: 'K', Value: 'V' }],
        EventTime: 5,
      }),
    );
    expect(facts).toEqual({
      kind: 'group',
      effect: 'create',
      groupId: '@TGS#g',
      topicId: null,
      topicIds: [],
      groupType: 'Public',
      operator: 'owner',
      eventTime: 5,
      changes: { Name: 'G', Introduction: 'I', customFields: { K: 'V' } },
    });
  });

  it('prefers Operator_Account over Owner_Account as the operator', () => {
    const facts = describeEvent(
      eventOf(Commands.CreateGroup, {
        CallbackCommand: Commands.CreateGroup,
        GroupId: '@TGS#g',
        Owner_Account: 'owner',
        Operator_Account: 'admin',
      }),
    );
    expect(facts.operator).toBe('admin');
  });

  it('describes a group destruction with no changes', () => {
    const facts = describeEvent(
      eventOf(Commands.GroupDestroyed, {
        CallbackCommand: Commands.GroupDestroyed,
        GroupId: '@TGS#g',
        Name: 'x',
      }),
    );
    expect(facts).toMatchObject({ kind: 'group', effect: 'destroy', groupId: '@TGS#g', changes: {} });
  });

  it('describes a topic creation with its topic, community and name', () => {
    const facts = describeEvent(
      eventOf(Commands.CreateTopic, {
        CallbackCommand: Commands.CreateTopic,
        GroupId: COMMUNITY,
        TopicId: TOPIC,
        Name: 'General',
      }),
    );
    expect(facts).toMatchObject({
      kind: 'topic',
      effect: 'create',
      groupId: COMMUNITY,
      topicId: TOPIC,
      changes: { Name: 'General' },
    });
  });

  it('describes a topic destruction with every topic it closes', () => {
    const other = `${COMMUNITY}@TOPIC#_other`;
    const facts = describeEvent(
      eventOf(Commands.TopicDestroyed, {
        CallbackCommand: Commands.TopicDestroyed,
        GroupId: COMMUNITY,
        TopicIdList: [TOPIC, other],
      }),
    );
    expect(facts).toMatchObject({ kind: 'topic', effect: 'destroy', groupId: COMMUNITY, topicId: null });
    expect(facts.topicIds).toEqual([TOPIC, other]);
  });

  it('names the topic of a destruction that closes a single one', () => {
    const facts = describeEvent(
      eventOf(Commands.TopicDestroyed, {
        CallbackCommand: Commands.TopicDestroyed,
        GroupId: COMMUNITY,
        TopicIdList: [TOPIC],
      }),
    );
    expect(facts).toMatchObject({ groupId: COMMUNITY, topicId: TOPIC, topicIds: [TOPIC] });
  });

  it('describes a callback it has no schema for as having no effect', () => {
    const facts = describeEvent(
      eventOf('Group.CallbackAfterNewMemberJoin', {
        GroupId: '@TGS#g',
        Type: 'Public',
        Operator_Account: 'op',
      }),
    );
    expect(facts).toEqual({
      kind: 'group',
      effect: 'none',
      groupId: '@TGS#g',
      topicId: null,
      topicIds: [],
      groupType: 'Public',
      operator: 'op',
      eventTime: null,
      changes: {},
    });
  });
});

describe('describeEvent and custom fields', () => {
  const change = { CallbackCommand: Commands.GroupInfoChanged, GroupId: '@TGS#g' };

  it('leaves customFields out when UserDefinedDataList is empty', () => {
    const facts = describeEvent(eventOf(Commands.GroupInfoChanged, { ...change, UserDefinedDataList: [] }));
    expect(facts.changes).toEqual({});
  });

  it('keeps an empty custom value as a change to empty', () => {
    const facts = describeEvent(
      eventOf(Commands.GroupInfoChanged, { ...change, UserDefinedDataList: [{ Key: 'K', Value: '' }] }),
    );
    expect(facts.changes).toEqual({ customFields: { K: '' } });
  });

  it('keeps an empty base field as a change to empty', () => {
    const facts = describeEvent(eventOf(Commands.GroupInfoChanged, { ...change, Notification: '' }));
    expect(facts.changes).toEqual({ Notification: '' });
  });

  it('keeps a custom field whose key is __proto__ as an ordinary field', () => {
    const facts = describeEvent(
      eventOf(Commands.GroupInfoChanged, {
        ...change,
        UserDefinedDataList: JSON.parse(
          '[{"Key":"__proto__","Value":"v"},{"Key":"constructor","Value":"c"}]',
        ),
      }),
    );
    const custom = facts.changes.customFields ?? {};
    expect(Object.entries(custom)).toEqual([
      ['__proto__', 'v'],
      ['constructor', 'c'],
    ]);
  });
});

describe('describeEvent on custom fields', () => {
  /** The custom fields `Object.fromEntries` makes of a list's pairs, as JSON. */
  const fromEntries = (list: Array<{ Key?: unknown; Value: unknown }>) =>
    JSON.stringify(Object.fromEntries(list.map((entry) => [entry.Key, entry.Value])));

  it('keeps a key listed twice in its first place with its last value, and a key __proto__ as a field', () => {
    const list = [
      { Key: 'b', Value: '1' },
      { Key: '__proto__', Value: '2' },
      { Key: '10', Value: '3' },
      { Key: 'b', Value: '4' },
      { Key: '__proto__', Value: '5' },
    ];
    const body = { CallbackCommand: Commands.GroupInfoChanged, GroupId: 'g', UserDefinedDataList: list };
    const changes = describeEvent(eventOf(Commands.GroupInfoChanged, body)).changes;
    expect(JSON.stringify(changes.customFields)).toBe(fromEntries(list));
    expect(JSON.stringify(changes.customFields)).toBe('{"10":"3","b":"4","__proto__":"5"}');
    expect(Object.getPrototypeOf(changes.customFields)).toBe(Object.prototype);
  });

  it('names the fields of a topic’s unchecked list as fromEntries does, whatever its keys are', () => {
    const list = [
      { Key: ['__proto__'], Value: 'a' },
      { Key: 7, Value: 'b' },
      { Key: null, Value: 'c' },
      { Value: 'd' },
    ];
    const body = { CallbackCommand: Commands.TopicInfoChanged, GroupId: TOPIC, UserDefinedDataList: list };
    const changes = describeEvent(eventOf(Commands.TopicInfoChanged, body)).changes;
    expect(JSON.stringify(changes.customFields)).toBe(fromEntries(list));
  });
});
