import { describe, expect, expectTypeOf, it } from 'vitest';
import { Commands } from '../../src/protocol/commands.js';
import { type BodyOf, BodySchemas, parseBody } from '../../src/protocol/schemas.js';
import { readSeedJson } from '../fixtures/seeds.js';

function parsed<C extends keyof typeof BodySchemas>(command: C, value: unknown): BodyOf<C> {
  const result = parseBody(command, value);
  if (!result.ok) throw new Error(`expected a valid body, got: ${result.problems.join('; ')}`);
  return result.body;
}

function problems(command: keyof typeof BodySchemas, value: unknown): string[] {
  const result = parseBody(command, value);
  if (result.ok) throw new Error('expected the body to be refused');
  return result.problems;
}

const minimal = { CallbackCommand: Commands.GroupInfoChanged, GroupId: '@TGS#2J4SZEAEL' };

describe('parseBody on the seed samples', () => {
  it('reads the seed 000 topic sample with every documented value and no TopicId or EventTime', () => {
    const body = parsed(Commands.TopicInfoChanged, readSeedJson('topic-info-changed'));
    expect(body).toEqual({
      CallbackCommand: 'Group.CallbackAfterTopicInfoChanged',
      GroupId: '@TGS#2J4SZEAEL',
      Type: 'Community',
      Operator_Account: 'leckie',
      Name: 'TestTopic',
      Introduction: 'TestIntroduction',
      Notification: 'NewNotification',
      FaceUrl: 'http://this.is.face.url',
    });
    expect('TopicId' in body).toBe(false);
    expect('EventTime' in body).toBe(false);
  });

  it('reads the seed 003 basic sample with only Notification changed', () => {
    expect(parsed(Commands.GroupInfoChanged, readSeedJson('group-info-changed-basic'))).toEqual({
      CallbackCommand: 'Group.CallbackAfterGroupInfoChanged',
      GroupId: '@TGS#2J4SZEAEL',
      Type: 'Public',
      Operator_Account: 'leckie',
      Notification: 'NewNotification',
    });
  });

  it('reads the seed 003 custom-field sample with its one changed key', () => {
    expect(parsed(Commands.GroupInfoChanged, readSeedJson('group-info-changed-custom'))).toEqual({
      CallbackCommand: 'Group.CallbackAfterGroupInfoChanged',
      GroupId: '@TGS#2J4SZEAEL',
      Type: 'Public',
      Operator_Account: 'leckie',
      UserDefinedDataList: [{ Key: 'UserDefinedKey2', Value: 'UserDefinedValue2' }],
    });
  });

  it('reads the seed 003 sample that changes every base field and three custom fields', () => {
    expect(parsed(Commands.GroupInfoChanged, readSeedJson('group-info-changed-both'))).toEqual({
      CallbackCommand: 'Group.CallbackAfterGroupInfoChanged',
      GroupId: '@TGS#2J4SZEAEL',
      Type: 'Public',
      Operator_Account: 'leckie',
      Name: 'NewGroupName',
      Introduction: 'NewIntroduction',
      Notification: 'NewNotification',
      FaceUrl: 'NewFaceUrl',
      UserDefinedDataList: [
        { Key: 'UserDefinedKey1', Value: 'UserDefinedValue1' },
        { Key: 'UserDefinedKey2', Value: 'UserDefinedValue2' },
        { Key: 'UserDefinedKey3', Value: 'UserDefinedValue3' },
      ],
    });
  });
});

describe('parseBody and EventTime', () => {
  it('reads EventTime sent as a number of milliseconds', () => {
    expect(parsed(Commands.GroupInfoChanged, { ...minimal, EventTime: 1669872112345 }).EventTime).toBe(
      1669872112345,
    );
  });

  it('reads EventTime sent as a numeric string, as a number', () => {
    expect(parsed(Commands.GroupInfoChanged, { ...minimal, EventTime: '1669872112345' }).EventTime).toBe(
      1669872112345,
    );
    expect(parsed(Commands.TopicInfoChanged, { ...minimal, EventTime: '1669872112345' }).EventTime).toBe(
      1669872112345,
    );
  });

  it('drops an EventTime that is neither a number nor a numeric string, and keeps the body', () => {
    for (const EventTime of ['soon', '', -5, 1.5, true, null, { ms: 1 }]) {
      const body = parsed(Commands.GroupInfoChanged, { ...minimal, Name: 'kept', EventTime });
      expect(body.EventTime, JSON.stringify(EventTime)).toBeUndefined();
      expect(body.Name).toBe('kept');
    }
  });

  it('types EventTime of a parsed body as a number', () => {
    expectTypeOf<BodyOf<typeof Commands.GroupInfoChanged>['EventTime']>().toEqualTypeOf<number | undefined>();
  });
});

describe('parseBody and the topic callback', () => {
  it('accepts the topic callback without a TopicId', () => {
    const body = parsed(Commands.TopicInfoChanged, {
      ...minimal,
      CallbackCommand: Commands.TopicInfoChanged,
    });
    expect(body.TopicId).toBeUndefined();
  });

  it('keeps a TopicId when the topic callback carries one', () => {
    const TopicId = '@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_@TOPIC#cYWHVHIM62CP';
    const body = parsed(Commands.TopicInfoChanged, { ...minimal, TopicId, Name: 'TestTopic' });
    expect(body.TopicId).toBe(TopicId);
    expect(body.Name).toBe('TestTopic');
  });

  it('requires a TopicId on the topic creation callback', () => {
    expect(problems(Commands.CreateTopic, { ...minimal, CallbackCommand: Commands.CreateTopic })).toEqual([
      'TopicId: Invalid input: expected string, received undefined',
    ]);
  });

  it('requires the list of topic ids on the topic destruction callback', () => {
    const body = parsed(Commands.TopicDestroyed, { ...minimal, TopicIdList: ['a@TOPIC#_1', 'a@TOPIC#_2'] });
    expect(body.TopicIdList).toEqual(['a@TOPIC#_1', 'a@TOPIC#_2']);
    expect(problems(Commands.TopicDestroyed, minimal)).toEqual([
      'TopicIdList: Invalid input: expected array, received undefined',
    ]);
  });
});

describe('parseBody forward compatibility', () => {
  it('keeps body fields that no schema knows', () => {
    const body = parsed(Commands.GroupInfoChanged, {
      ...minimal,
      Notification: 'n',
      NewField: { nested: [1, 2] },
      Operator_Role: 'Admin',
    });
    expect(body).toMatchObject({ NewField: { nested: [1, 2] }, Operator_Role: 'Admin', Notification: 'n' });
  });

  it('keeps unknown fields inside a custom field entry', () => {
    const body = parsed(Commands.GroupInfoChanged, {
      ...minimal,
      UserDefinedDataList: [{ Key: 'K', Value: 'V', Extra: 1 }],
    });
    expect(body.UserDefinedDataList).toEqual([{ Key: 'K', Value: 'V', Extra: 1 }]);
  });

  it('accepts an empty custom field value (set to empty, docs/protocol.md §3)', () => {
    const body = parsed(Commands.GroupInfoChanged, {
      ...minimal,
      UserDefinedDataList: [{ Key: 'K', Value: '' }],
    });
    expect(body.UserDefinedDataList).toEqual([{ Key: 'K', Value: '' }]);
  });

  it('accepts the group types old and new, and an unknown one', () => {
    for (const Type of [
      'Private',
      'Public',
      'ChatRoom',
      'AVChatRoom',
      'Community',
      'Work',
      'Meeting',
      'Next',
    ]) {
      expect(parsed(Commands.GroupInfoChanged, { ...minimal, Type }).Type).toBe(Type);
    }
  });
});

describe('parseBody refusals', () => {
  it('says GroupId is missing', () => {
    expect(problems(Commands.GroupInfoChanged, { CallbackCommand: Commands.GroupInfoChanged })).toEqual([
      'GroupId: Invalid input: expected string, received undefined',
    ]);
  });

  it('says GroupId must not be empty', () => {
    expect(problems(Commands.TopicInfoChanged, { ...minimal, GroupId: '' })).toEqual([
      'GroupId: GroupId must not be empty',
    ]);
  });

  it('says Name is not a string', () => {
    expect(problems(Commands.GroupInfoChanged, { ...minimal, Name: 42 })).toEqual([
      'Name: Invalid input: expected string, received number',
    ]);
    expect(problems(Commands.TopicInfoChanged, { ...minimal, Name: null })).toEqual([
      'Name: Invalid input: expected string, received null',
    ]);
  });

  it('says which entry of a malformed UserDefinedDataList is wrong, and how', () => {
    expect(
      problems(Commands.GroupInfoChanged, {
        ...minimal,
        UserDefinedDataList: [{ Key: 'ok', Value: 'ok' }, { Key: 'K' }, { Key: '', Value: 'v' }],
      }),
    ).toEqual([
      'UserDefinedDataList.1.Value: Invalid input: expected string, received undefined',
      'UserDefinedDataList.2.Key: Too small: expected string to have >=1 characters',
    ]);
  });

  it('says UserDefinedDataList must be an array', () => {
    expect(
      problems(Commands.GroupInfoChanged, { ...minimal, UserDefinedDataList: { Key: 'K', Value: 'V' } }),
    ).toEqual(['UserDefinedDataList: Invalid input: expected array, received object']);
  });

  it('lists every problem of a body at once', () => {
    expect(problems(Commands.GroupInfoChanged, { CallbackCommand: 1, Name: 2 })).toHaveLength(3);
  });

  it('says a body that is not an object is wrong as a whole', () => {
    expect(problems(Commands.GroupInfoChanged, [])).toEqual([
      '(body): Invalid input: expected object, received array',
    ]);
    expect(problems(Commands.GroupInfoChanged, null)).toEqual([
      '(body): Invalid input: expected object, received null',
    ]);
    expect(problems(Commands.GroupInfoChanged, 'x')).toEqual([
      '(body): Invalid input: expected object, received string',
    ]);
  });
});

describe('BodySchemas', () => {
  it('has a schema for each known command', () => {
    expect(Object.keys(BodySchemas).sort()).toEqual(Object.values(Commands).sort());
  });
});
