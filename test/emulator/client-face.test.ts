import { describe, expect, it } from 'vitest';
import { type Emulator, ErrorCodes } from '../../src/emulator/index.js';
import { callRest, failure, postJson, startEmulator, startReceiver } from './helpers.js';

const CREATE_GROUP = 'group_open_http_svc/create_group';

/** A group of `Type` owned by `owner`, with `admin` as Admin and `member` as Member. */
async function groupOf(
  emulator: Emulator,
  Type: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const answer = await callRest(emulator, CREATE_GROUP, {
    Type,
    Name: Type,
    Owner_Account: 'owner',
    MemberList:
      Type === 'Work'
        ? [{ Member_Account: 'member' }]
        : [
            { Member_Account: 'admin', Role: 'Admin' },
            { Member_Account: 'member', Role: 'Member' },
          ],
    ...extra,
  });
  return answer.GroupId as string;
}

function renameAs(emulator: Emulator, groupId: string, operator: string) {
  return emulator.client('modify_group_base_info', {
    GroupId: groupId,
    Operator_Account: operator,
    Name: `by ${operator}`,
  });
}

const OK = { ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '' };

describe('the client face: who may change a group’s profile', () => {
  // Work, any member; Public and Community, owner or admin; Meeting and AVChatRoom, owner.
  const table: Array<[string, Record<string, boolean>]> = [
    ['Work', { owner: true, member: true, stranger: false }],
    ['Private', { owner: true, member: true, stranger: false }],
    ['Public', { owner: true, admin: true, member: false, stranger: false }],
    ['Community', { owner: true, admin: true, member: false, stranger: false }],
    ['Meeting', { owner: true, admin: false, member: false, stranger: false }],
    ['ChatRoom', { owner: true, admin: false, member: false, stranger: false }],
    ['AVChatRoom', { owner: true, admin: false, member: false, stranger: false }],
  ];

  for (const [type, allowed] of table) {
    it(`lets ${Object.keys(allowed)
      .filter((k) => allowed[k])
      .join(' and ')} change a ${type} group, and refuses the others with 10007`, async () => {
      const emulator = await startEmulator();
      const groupId = await groupOf(emulator, type);
      for (const [operator, may] of Object.entries(allowed)) {
        const answer = await renameAs(emulator, groupId, operator);
        expect(answer, `${operator} in ${type}`).toEqual(may ? OK : failure(ErrorCodes.NoPermission));
      }
    });
  }

  it('always lets an app admin change any group', async () => {
    const emulator = await startEmulator();
    for (const type of ['Work', 'Public', 'Meeting', 'AVChatRoom', 'Community']) {
      expect(await renameAs(emulator, await groupOf(emulator, type), 'administrator')).toEqual(OK);
    }
  });

  it('applies the community’s rules to its topics', async () => {
    const emulator = await startEmulator();
    const communityId = await groupOf(emulator, 'Community', { SupportTopic: 1 });
    const { TopicId } = await callRest(emulator, 'million_group_open_http_svc/create_topic', {
      GroupId: communityId,
      TopicName: 't',
    });
    const modify = (operator: string) =>
      emulator.client('modify_topic', {
        GroupId: communityId,
        TopicId,
        Operator_Account: operator,
        TopicName: operator,
      });
    expect(await modify('owner')).toEqual(OK);
    expect(await modify('admin')).toEqual(OK);
    expect(await modify('administrator')).toEqual(OK);
    expect(await modify('member')).toEqual(failure(ErrorCodes.NoPermission));
    expect(await modify('stranger')).toEqual(failure(ErrorCodes.NoPermission));
  });

  it('refuses a change that breaks a limit with 10004, even from the owner', async () => {
    const emulator = await startEmulator();
    const groupId = await groupOf(emulator, 'Public');
    expect(
      await emulator.client('modify_group_base_info', {
        GroupId: groupId,
        Operator_Account: 'owner',
        Name: 'x'.repeat(31),
      }),
    ).toEqual(failure(ErrorCodes.InvalidParameter));
  });

  it('refuses a call without Operator_Account with 10004, an unknown command with 10003, bad JSON with 60003', async () => {
    const emulator = await startEmulator();
    const groupId = await groupOf(emulator, 'Public');
    expect(await emulator.client('modify_group_base_info', { GroupId: groupId, Name: 'x' })).toEqual(
      failure(ErrorCodes.InvalidParameter),
    );
    expect(await emulator.client('destroy_group', { GroupId: groupId, Operator_Account: 'owner' })).toEqual(
      failure(ErrorCodes.InvalidCommand),
    );
    expect((await postJson(`${emulator.url}/emulator/client/modify_topic`, '{oops')).json).toEqual(
      failure(ErrorCodes.JsonParse),
    );
    expect(
      await emulator.client('modify_group_base_info', { GroupId: '@TGS#GONE', Operator_Account: 'owner' }),
    ).toEqual(failure(ErrorCodes.GroupNotFound));
  });

  it('sends the callback with the user as operator, the given platform kept as sent, and the caller’s address by default', async () => {
    const receiver = await startReceiver();
    const emulator = await startEmulator({ callbackUrl: receiver.url, callbacks: { createGroup: false } });
    const groupId = await groupOf(emulator, 'Public');
    await emulator.client('modify_group_base_info', {
      GroupId: groupId,
      Operator_Account: 'admin',
      OptPlatform: 'macOS',
      Notification: 'from a Mac',
    });
    await emulator.client('modify_group_base_info', {
      GroupId: groupId,
      Operator_Account: 'owner',
      Name: 'web',
    });
    const [mac, web] = await receiver.waitFor(2);
    expect(mac!.body).toMatchObject({ Operator_Account: 'admin', Notification: 'from a Mac' });
    expect(mac!.query.get('OptPlatform')).toBe('macOS');
    expect(web!.query.get('OptPlatform')).toBe('Web');
    expect(web!.query.get('ClientIP')).toBe('127.0.0.1');
  });
});
