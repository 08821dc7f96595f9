import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/emulator/index.js';
import { callRest, failure, startEmulator } from './helpers.js';

const CREATE_GROUP = 'group_open_http_svc/create_group';
const CREATE = 'million_group_open_http_svc/create_topic';
const GET = 'million_group_open_http_svc/get_topic';
const MODIFY = 'million_group_open_http_svc/modify_topic';
const DESTROY = 'million_group_open_http_svc/destroy_topic';

async function emulatorWithCommunity() {
  const emulator = await startEmulator();
  const { GroupId } = await callRest(emulator, CREATE_GROUP, {
    Type: 'Community',
    Name: 'Guild',
    SupportTopic: 1,
    Owner_Account: 'leckie',
  });
  return { emulator, communityId: GroupId as string };
}

describe('topics', () => {
  it('creates a topic with a generated <community>@TOPIC#_@TOPIC#… id and shows it in get_topic', async () => {
    const { emulator, communityId } = await emulatorWithCommunity();
    const created = await callRest(emulator, CREATE, {
      GroupId: communityId,
      TopicName: 'general',
      From_Account: 'leckie',
      Introduction: 'talk',
      CustomString: 'meta',
    });
    expect(created.TopicId).toMatch(/^@TGS#_@TGS#[A-Z0-9]{10}@TOPIC#_@TOPIC#[A-Z0-9]{10}$/);
    expect((created.TopicId as string).startsWith(`${communityId}@TOPIC#_`)).toBe(true);
    const answer = await callRest(emulator, GET, { GroupId: communityId, From_Account: 'leckie' });
    expect(answer.TopicAndSelfInfo).toEqual([
      {
        ErrorCode: 0,
        ErrorInfo: '',
        TopicInfo: expect.objectContaining({
          TopicId: created.TopicId,
          TopicName: 'general',
          Introduction: 'talk',
          Notification: '',
          FaceUrl: '',
          CustomString: 'meta',
          Owner_Account: 'leckie',
        }),
      },
    ]);
  });

  it('accepts a custom topic id of the community and refuses a second one with 10021', async () => {
    const { emulator, communityId } = await emulatorWithCommunity();
    const TopicId = `${communityId}@TOPIC#_announcements`;
    expect(await callRest(emulator, CREATE, { GroupId: communityId, TopicId, TopicName: 'a' })).toMatchObject(
      {
        TopicId,
      },
    );
    expect(await callRest(emulator, CREATE, { GroupId: communityId, TopicId, TopicName: 'b' })).toEqual(
      failure(ErrorCodes.GroupIdInUse),
    );
  });

  it('refuses a custom topic id of another shape with 10004', async () => {
    const { emulator, communityId } = await emulatorWithCommunity();
    for (const TopicId of [
      '@TGS#_other@TOPIC#_x',
      `${communityId}@TOPIC#_`,
      `${communityId}@TOPIC#_has space`,
      `${communityId}@TOPIC#_${'x'.repeat(80)}`,
      'announcements',
    ]) {
      expect(await callRest(emulator, CREATE, { GroupId: communityId, TopicId, TopicName: 'a' })).toEqual(
        failure(ErrorCodes.InvalidParameter),
      );
    }
  });

  it('refuses every topic command on a group that does not support topics with 10004', async () => {
    const emulator = await startEmulator();
    const plain = await callRest(emulator, CREATE_GROUP, { Type: 'Public', Name: 'p' });
    const community = await callRest(emulator, CREATE_GROUP, { Type: 'Community', Name: 'c' });
    for (const GroupId of [plain.GroupId, community.GroupId]) {
      expect(await callRest(emulator, CREATE, { GroupId, TopicName: 'a' })).toEqual(
        failure(ErrorCodes.InvalidParameter),
      );
      expect(await callRest(emulator, GET, { GroupId })).toEqual(failure(ErrorCodes.InvalidParameter));
      expect(
        await callRest(emulator, MODIFY, { GroupId, TopicId: `${GroupId}@TOPIC#_x`, TopicName: 'b' }),
      ).toEqual(failure(ErrorCodes.InvalidParameter));
      expect(await callRest(emulator, DESTROY, { GroupId, TopicIdList: [`${GroupId}@TOPIC#_x`] })).toEqual(
        failure(ErrorCodes.InvalidParameter),
      );
    }
  });

  it('answers 10010 for a topic of a community that does not exist', async () => {
    const emulator = await startEmulator();
    expect(await callRest(emulator, CREATE, { GroupId: '@TGS#_@TGS#GONE', TopicName: 'a' })).toEqual(
      failure(ErrorCodes.GroupNotFound),
    );
  });

  it('applies the topic byte limits: TopicName 30, Introduction 240, Notification 300, FaceUrl 100, CustomString 3000', async () => {
    const { emulator, communityId } = await emulatorWithCommunity();
    const { TopicId } = await callRest(emulator, CREATE, { GroupId: communityId, TopicName: 't' });
    const limits: Array<[string, number]> = [
      ['TopicName', 30],
      ['Introduction', 240],
      ['Notification', 300],
      ['FaceUrl', 100],
      ['CustomString', 3000],
    ];
    for (const [field, limit] of limits) {
      expect(
        await callRest(emulator, MODIFY, { GroupId: communityId, TopicId, [field]: 'a'.repeat(limit) }),
      ).toMatchObject({ ActionStatus: 'OK' });
      const refused = await callRest(emulator, MODIFY, {
        GroupId: communityId,
        TopicId,
        [field]: 'a'.repeat(limit + 1),
      });
      expect(refused).toEqual(failure(ErrorCodes.InvalidParameter));
      expect(refused.ErrorInfo).toContain(field);
      expect(
        await callRest(emulator, CREATE, {
          GroupId: communityId,
          TopicName: 'x',
          [field]: 'a'.repeat(limit + 1),
        }),
      ).toEqual(failure(ErrorCodes.InvalidParameter));
    }
  });

  it('refuses an empty or missing topic name with 10004', async () => {
    const { emulator, communityId } = await emulatorWithCommunity();
    expect(await callRest(emulator, CREATE, { GroupId: communityId })).toEqual(
      failure(ErrorCodes.InvalidParameter),
    );
    expect(await callRest(emulator, CREATE, { GroupId: communityId, TopicName: '' })).toEqual(
      failure(ErrorCodes.InvalidParameter),
    );
  });

  it('modifies a topic, and answers 10010 for a topic that does not exist', async () => {
    const { emulator, communityId } = await emulatorWithCommunity();
    const { TopicId } = await callRest(emulator, CREATE, { GroupId: communityId, TopicName: 't' });
    expect(
      await callRest(emulator, MODIFY, {
        GroupId: communityId,
        TopicId,
        TopicName: 'renamed',
        MuteAllMember: 'On',
      }),
    ).toEqual({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });
    const answer = await callRest(emulator, GET, { GroupId: communityId, TopicIdList: [TopicId] });
    expect(answer.TopicAndSelfInfo).toEqual([
      expect.objectContaining({
        TopicInfo: expect.objectContaining({ TopicName: 'renamed', MuteAllMember: 'On' }),
      }),
    ]);
    expect(
      await callRest(emulator, MODIFY, {
        GroupId: communityId,
        TopicId: `${communityId}@TOPIC#_nope`,
        TopicName: 'x',
      }),
    ).toEqual(failure(ErrorCodes.GroupNotFound));
  });

  it('destroys topics with one result per id, 10010 for the unknown ones', async () => {
    const { emulator, communityId } = await emulatorWithCommunity();
    const { TopicId } = await callRest(emulator, CREATE, { GroupId: communityId, TopicName: 't' });
    const unknown = `${communityId}@TOPIC#_nope`;
    const answer = await callRest(emulator, DESTROY, {
      GroupId: communityId,
      TopicIdList: [TopicId, unknown],
    });
    expect(answer).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0 });
    expect(answer.DestroyResultItem).toEqual([
      { ErrorCode: 0, ErrorInfo: '', TopicId },
      { ErrorCode: ErrorCodes.GroupNotFound, ErrorInfo: expect.any(String), TopicId: unknown },
    ]);
    const listed = await callRest(emulator, GET, { GroupId: communityId, TopicIdList: [TopicId] });
    expect(listed.TopicAndSelfInfo).toEqual([
      { ErrorCode: ErrorCodes.GroupNotFound, ErrorInfo: expect.any(String), TopicInfo: { TopicId } },
    ]);
  });
});
