import { describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions } from '../../src/emulator/index.js';
import { Commands, computeSign, isKnownCommand, parseBody, verifySign } from '../../src/protocol/index.js';
import {
  callRest,
  type ReceivedCallback,
  startEmulator,
  startReceiver,
  type TestReceiver,
} from './helpers.js';

const CREATE_GROUP = 'group_open_http_svc/create_group';
const MODIFY_GROUP = 'group_open_http_svc/modify_group_base_info';
const DESTROY_GROUP = 'group_open_http_svc/destroy_group';
const CREATE_TOPIC = 'million_group_open_http_svc/create_topic';
const MODIFY_TOPIC = 'million_group_open_http_svc/modify_topic';
const DESTROY_TOPIC = 'million_group_open_http_svc/destroy_topic';
const NOW = 1_700_000_000_123;

/** An emulator wired to a fresh receiver, on a fixed clock, with only the profile callbacks on. */
async function wired(options: EmulatorOptions = {}): Promise<{ emulator: Emulator; receiver: TestReceiver }> {
  const receiver = await startReceiver();
  const emulator = await startEmulator({
    callbackUrl: receiver.url,
    customFieldKeys: ['Level', 'Tag'],
    now: () => NOW,
    callbacks: { createGroup: false, groupDestroyed: false, createTopic: false, topicDestroyed: false },
    ...options,
  });
  return { emulator, receiver };
}

async function createGroup(emulator: Emulator, extra: Record<string, unknown> = {}): Promise<string> {
  const answer = await callRest(emulator, CREATE_GROUP, {
    Type: 'Public',
    Name: 'Ops',
    Owner_Account: 'leckie',
    ...extra,
  });
  return answer.GroupId as string;
}

async function createTopic(emulator: Emulator): Promise<{ communityId: string; topicId: string }> {
  const communityId = await createGroup(emulator, { Type: 'Community', SupportTopic: 1 });
  const { TopicId } = await callRest(emulator, CREATE_TOPIC, { GroupId: communityId, TopicName: 'general' });
  return { communityId, topicId: TopicId as string };
}

/** Every callback the receiver got once the emulator has nothing left to send. */
async function settled(emulator: Emulator, receiver: TestReceiver): Promise<ReceivedCallback[]> {
  await emulator.idle();
  return receiver.received;
}

describe('the callback request', () => {
  it('carries exactly the documented query, and no Sign when no token is set', async () => {
    const { emulator, receiver } = await wired();
    const groupId = await createGroup(emulator);
    await callRest(emulator, MODIFY_GROUP, { GroupId: groupId, Notification: 'hello' });
    const [callback] = await receiver.waitFor(1);
    expect(callback!.path).toBe('/callback');
    expect([...callback!.query]).toEqual([
      ['SdkAppid', '1400000000'],
      ['CallbackCommand', 'Group.CallbackAfterGroupInfoChanged'],
      ['contenttype', 'json'],
      ['ClientIP', '127.0.0.1'],
      ['OptPlatform', 'RESTAPI'],
    ]);
  });

  it('adds Sign = sha256(token + RequestTime) and RequestTime when a token is set', async () => {
    const { emulator, receiver } = await wired({ callbackToken: 'xxxxyyyy', now: Date.now });
    await callRest(emulator, MODIFY_GROUP, { GroupId: await createGroup(emulator), Name: 'Ops2' });
    const [callback] = await receiver.waitFor(1);
    const requestTime = callback!.query.get('RequestTime')!;
    expect(requestTime).toMatch(/^\d{10}$/);
    expect(callback!.query.get('Sign')).toBe(computeSign('xxxxyyyy', requestTime));
    expect(
      verifySign({ sign: callback!.query.get('Sign'), requestTime, tokens: ['xxxxyyyy'], nowMs: Date.now() }),
    ).toEqual({ ok: true, tokenIndex: 0 });
  });

  it('sends Host and Content-Length, keeps the connection alive, and no Content-Type unless configured', async () => {
    const { emulator, receiver } = await wired();
    const groupId = await createGroup(emulator);
    await callRest(emulator, MODIFY_GROUP, { GroupId: groupId, Name: 'a' });
    const [first] = await receiver.waitFor(1);
    expect(first!.headers.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(first!.headers['content-length']).toBe(String(Buffer.byteLength(first!.rawBody)));
    expect(first!.headers['content-type']).toBeUndefined();
    expect(first!.headers.connection).toBe('keep-alive');

    emulator.configure({ callbackContentType: 'application/json' });
    await callRest(emulator, MODIFY_GROUP, { GroupId: groupId, Name: 'b' });
    const [, second] = await receiver.waitFor(2);
    expect(second!.headers['content-type']).toBe('application/json');
  });

  it('goes out with the caller’s platform and address for a client change', async () => {
    const { emulator, receiver } = await wired();
    const groupId = await createGroup(emulator);
    await emulator.client('modify_group_base_info', {
      GroupId: groupId,
      Operator_Account: 'leckie',
      OptPlatform: 'Android',
      ClientIP: '203.0.113.7',
      Name: 'from phone',
    });
    const [callback] = await receiver.waitFor(1);
    expect(callback!.query.get('OptPlatform')).toBe('Android');
    expect(callback!.query.get('ClientIP')).toBe('203.0.113.7');
    expect(callback!.body.Operator_Account).toBe('leckie');
  });
});

describe('Group.CallbackAfterGroupInfoChanged', () => {
  it('holds only the fields that really changed, in the seed’s order, with EventTime in ms', async () => {
    const { emulator, receiver } = await wired();
    const groupId = await createGroup(emulator, { Notification: 'old' });
    await callRest(emulator, MODIFY_GROUP, {
      GroupId: groupId,
      Name: 'Ops',
      Introduction: '',
      Notification: 'new',
      FaceUrl: 'http://face',
      MaxMemberNum: 100,
    });
    const [callback] = await receiver.waitFor(1);
    expect(callback!.rawBody).toBe(
      JSON.stringify({
        CallbackCommand: 'Group.CallbackAfterGroupInfoChanged',
        GroupId: groupId,
        Type: 'Public',
        Operator_Account: 'administrator',
        Notification: 'new',
        FaceUrl: 'http://face',
        EventTime: NOW,
      }),
    );
  });

  it('lists only the changed custom fields in UserDefinedDataList', async () => {
    const { emulator, receiver } = await wired();
    const groupId = await createGroup(emulator, { AppDefinedData: [{ Key: 'Level', Value: 'gold' }] });
    await callRest(emulator, MODIFY_GROUP, {
      GroupId: groupId,
      AppDefinedData: [
        { Key: 'Level', Value: 'gold' },
        { Key: 'Tag', Value: '' },
      ],
    });
    const [callback] = await receiver.waitFor(1);
    expect(callback!.body).toEqual({
      CallbackCommand: 'Group.CallbackAfterGroupInfoChanged',
      GroupId: groupId,
      Type: 'Public',
      Operator_Account: 'administrator',
      UserDefinedDataList: [{ Key: 'Tag', Value: '' }],
      EventTime: NOW,
    });
  });

  it('sends nothing when nothing changed, or when only settings without a callback changed', async () => {
    const { emulator, receiver } = await wired();
    const groupId = await createGroup(emulator, { AppDefinedData: [{ Key: 'Level', Value: 'gold' }] });
    await callRest(emulator, MODIFY_GROUP, { GroupId: groupId, Name: 'Ops', Introduction: '' });
    await callRest(emulator, MODIFY_GROUP, {
      GroupId: groupId,
      AppDefinedData: [{ Key: 'Level', Value: 'gold' }],
    });
    await callRest(emulator, MODIFY_GROUP, { GroupId: groupId, MaxMemberNum: 10, MuteAllMember: 'On' });
    expect(await settled(emulator, receiver)).toEqual([]);
    expect(emulator.deliveries()).toEqual([]);
  });

  it('sends fields set to their current value when unchangedFields is send', async () => {
    const { emulator, receiver } = await wired({ unchangedFields: 'send' });
    const groupId = await createGroup(emulator);
    await callRest(emulator, MODIFY_GROUP, { GroupId: groupId, Name: 'Ops' });
    const [callback] = await receiver.waitFor(1);
    expect(callback!.body).toMatchObject({ Name: 'Ops' });
  });

  it('names From_Account as the operator when the admin acts for a user', async () => {
    const { emulator, receiver } = await wired();
    const groupId = await createGroup(emulator);
    await callRest(emulator, MODIFY_GROUP, { GroupId: groupId, Name: 'x', From_Account: 'leckie' });
    const [callback] = await receiver.waitFor(1);
    expect(callback!.body.Operator_Account).toBe('leckie');
  });

  it('sends EventTime as a numeric string when configured', async () => {
    const { emulator, receiver } = await wired({ eventTimeFormat: 'string' });
    await callRest(emulator, MODIFY_GROUP, { GroupId: await createGroup(emulator), Name: 'x' });
    const [callback] = await receiver.waitFor(1);
    expect(callback!.body.EventTime).toBe(String(NOW));
  });

  it('keeps the type name the group was created with', async () => {
    const { emulator, receiver } = await wired();
    await callRest(emulator, MODIFY_GROUP, {
      GroupId: await createGroup(emulator, { Type: 'Work' }),
      Name: 'x',
    });
    const [callback] = await receiver.waitFor(1);
    expect(callback!.body.Type).toBe('Work');
  });
});

describe('Group.CallbackAfterTopicInfoChanged', () => {
  it('carries TopicId and EventTime by default, with the community in GroupId', async () => {
    const { emulator, receiver } = await wired();
    const { communityId, topicId } = await createTopic(emulator);
    await callRest(emulator, MODIFY_TOPIC, {
      GroupId: communityId,
      TopicId: topicId,
      TopicName: 'renamed',
      Introduction: '',
      Notification: 'NewNotification',
    });
    const [callback] = await receiver.waitFor(1);
    expect(callback!.rawBody).toBe(
      JSON.stringify({
        CallbackCommand: 'Group.CallbackAfterTopicInfoChanged',
        GroupId: communityId,
        TopicId: topicId,
        Type: 'Community',
        Operator_Account: 'administrator',
        Name: 'renamed',
        Notification: 'NewNotification',
        EventTime: NOW,
      }),
    );
  });

  it('is exactly the seed 000 body with the documented shape: no TopicId, no EventTime', async () => {
    const { emulator, receiver } = await wired({ topicBody: 'documented' });
    const { communityId, topicId } = await createTopic(emulator);
    await callRest(emulator, MODIFY_TOPIC, {
      GroupId: communityId,
      TopicId: topicId,
      TopicName: 'TestTopic',
      Introduction: 'TestIntroduction',
      Notification: 'NewNotification',
      FaceUrl: 'http://this.is.face.url',
      From_Account: 'leckie',
    });
    const [callback] = await receiver.waitFor(1);
    expect(Object.keys(callback!.body)).toEqual([
      'CallbackCommand',
      'GroupId',
      'Type',
      'Operator_Account',
      'Name',
      'Introduction',
      'Notification',
      'FaceUrl',
    ]);
    expect(callback!.body).toMatchObject({ GroupId: communityId, Operator_Account: 'leckie' });
  });

  it('puts the topic id in GroupId with the topic-as-group-id shape', async () => {
    const { emulator, receiver } = await wired({ topicBody: 'topic-as-group-id' });
    const { communityId, topicId } = await createTopic(emulator);
    await callRest(emulator, MODIFY_TOPIC, { GroupId: communityId, TopicId: topicId, FaceUrl: 'http://f' });
    const [callback] = await receiver.waitFor(1);
    expect(callback!.body).toEqual({
      CallbackCommand: 'Group.CallbackAfterTopicInfoChanged',
      GroupId: topicId,
      Type: 'Community',
      Operator_Account: 'administrator',
      FaceUrl: 'http://f',
    });
  });

  it('sends nothing for a change of CustomString or MuteAllMember only, or of nothing', async () => {
    const { emulator, receiver } = await wired();
    const { communityId, topicId } = await createTopic(emulator);
    await callRest(emulator, MODIFY_TOPIC, {
      GroupId: communityId,
      TopicId: topicId,
      CustomString: 'x',
      MuteAllMember: 'On',
    });
    await callRest(emulator, MODIFY_TOPIC, { GroupId: communityId, TopicId: topicId, TopicName: 'general' });
    expect(await settled(emulator, receiver)).toEqual([]);
  });
});

describe('the console switches', () => {
  it('turns both profile callbacks off with the one groupInfo switch, as in the seeds', async () => {
    const { emulator, receiver } = await wired({ callbacks: { groupInfo: false, createTopic: true } });
    const { communityId, topicId } = await createTopic(emulator);
    await callRest(emulator, MODIFY_GROUP, { GroupId: communityId, Name: 'x' });
    await callRest(emulator, MODIFY_TOPIC, { GroupId: communityId, TopicId: topicId, TopicName: 'y' });
    const received = await settled(emulator, receiver);
    expect(received.map((c) => c.body.CallbackCommand)).toEqual([Commands.CreateGroup, Commands.CreateTopic]);
  });

  it('sends no callback at all while no callback URL is set', async () => {
    const emulator = await startEmulator();
    await callRest(emulator, MODIFY_GROUP, { GroupId: await createGroup(emulator), Name: 'x' });
    await emulator.idle();
    expect(emulator.deliveries()).toEqual([]);
  });
});

describe('the lifecycle callbacks', () => {
  it('send create and destroy of groups and topics with the documented fields, each on its own switch', async () => {
    const { emulator, receiver } = await wired({
      callbacks: { createGroup: true, groupDestroyed: true, createTopic: true, topicDestroyed: true },
      customFieldKeys: ['Level'],
    });
    const communityId = await createGroup(emulator, {
      Type: 'Community',
      SupportTopic: 1,
      Introduction: 'intro',
      MemberList: [{ Member_Account: 'ann', Role: 'Admin' }],
      AppDefinedData: [{ Key: 'Level', Value: '1' }],
    });
    const { TopicId } = await callRest(emulator, CREATE_TOPIC, {
      GroupId: communityId,
      TopicName: 'general',
      From_Account: 'ann',
    });
    await callRest(emulator, DESTROY_TOPIC, { GroupId: communityId, TopicIdList: [TopicId] });
    await callRest(emulator, DESTROY_GROUP, { GroupId: communityId });
    const bodies = (await settled(emulator, receiver)).map((c) => c.body);
    expect(bodies).toEqual([
      {
        CallbackCommand: 'Group.CallbackAfterCreateGroup',
        GroupId: communityId,
        Type: 'Community',
        Owner_Account: 'leckie',
        Operator_Account: 'administrator',
        Name: 'Ops',
        Introduction: 'intro',
        Notification: '',
        MemberList: [{ Member_Account: 'leckie' }, { Member_Account: 'ann' }],
        UserDefinedDataList: [{ Key: 'Level', Value: '1' }],
        EventTime: NOW,
      },
      {
        CallbackCommand: 'Group.CallbackAfterCreateTopic',
        GroupId: communityId,
        TopicId,
        Type: 'Community',
        Operator_Account: 'ann',
        Owner_Account: 'ann',
        Name: 'general',
      },
      {
        CallbackCommand: 'Group.CallbackAfterTopicDestroyed',
        GroupId: communityId,
        Type: 'Community',
        TopicIdList: [TopicId],
      },
      {
        CallbackCommand: 'Group.CallbackAfterGroupDestroyed',
        GroupId: communityId,
        Type: 'Community',
        Owner_Account: 'leckie',
        MemberList: [{ Member_Account: 'leckie' }, { Member_Account: 'ann' }],
        EventTime: NOW,
      },
    ]);
  });

  it('sends none of them when their switches are off', async () => {
    const { emulator, receiver } = await wired();
    const { communityId, topicId } = await createTopic(emulator);
    await callRest(emulator, DESTROY_TOPIC, { GroupId: communityId, TopicIdList: [topicId] });
    await callRest(emulator, DESTROY_GROUP, { GroupId: communityId });
    expect(await settled(emulator, receiver)).toEqual([]);
  });
});

describe('every callback the emulator sends', () => {
  it('passes the protocol layer’s schema of its command', async () => {
    const { emulator, receiver } = await wired({
      callbacks: { createGroup: true, groupDestroyed: true, createTopic: true, topicDestroyed: true },
    });
    const { communityId, topicId } = await createTopic(emulator);
    await callRest(emulator, MODIFY_GROUP, {
      GroupId: communityId,
      Name: 'n',
      AppDefinedData: [{ Key: 'Tag', Value: 't' }],
    });
    await callRest(emulator, MODIFY_TOPIC, { GroupId: communityId, TopicId: topicId, Introduction: 'i' });
    await callRest(emulator, DESTROY_TOPIC, { GroupId: communityId, TopicIdList: [topicId] });
    await callRest(emulator, DESTROY_GROUP, { GroupId: communityId });
    const received = await settled(emulator, receiver);
    expect(new Set(received.map((c) => c.body.CallbackCommand))).toEqual(new Set(Object.values(Commands)));
    for (const callback of received) {
      const command = callback.query.get('CallbackCommand')!;
      expect(callback.body.CallbackCommand).toBe(command);
      expect(isKnownCommand(command)).toBe(true);
      if (isKnownCommand(command)) expect(parseBody(command, callback.body)).toMatchObject({ ok: true });
    }
  });
});
