import { describe, expect, it } from 'vitest';
import { type EmulatorOptions, ErrorCodes } from '../../src/emulator/index.js';
import { callRest, failure, startEmulator } from './helpers.js';

const CREATE = 'group_open_http_svc/create_group';
const GET = 'group_open_http_svc/get_group_info';
const MODIFY = 'group_open_http_svc/modify_group_base_info';
const DESTROY = 'group_open_http_svc/destroy_group';

async function emulatorWithGroup(options: EmulatorOptions = {}, extra: Record<string, unknown> = {}) {
  const emulator = await startEmulator({
    customFieldKeys: ['Level', 'Tag', 'K1', 'K2', 'K3', 'K4', 'K5', 'K6', 'K7', 'K8', 'K9', 'K10', 'K11'],
    ...options,
  });
  const { GroupId } = await callRest(emulator, CREATE, {
    Type: 'Public',
    Name: 'Ops',
    Owner_Account: 'leckie',
    ...extra,
  });
  return { emulator, groupId: GroupId as string };
}

async function infoOf(emulator: Awaited<ReturnType<typeof startEmulator>>, groupId: string) {
  const answer = await callRest(emulator, GET, { GroupIdList: [groupId] });
  return (answer.GroupInfo as Array<Record<string, unknown>>)[0]!;
}

describe('create_group and get_group_info', () => {
  it('creates a group with a generated @TGS# id and shows its profile, members and custom fields', async () => {
    const emulator = await startEmulator({ customFieldKeys: ['Level'] });
    const created = await callRest(emulator, CREATE, {
      Type: 'Public',
      Name: '运维群',
      Owner_Account: 'leckie',
      Introduction: 'intro',
      Notification: 'notice',
      FaceUrl: 'http://x/y.png',
      AppDefinedData: [{ Key: 'Level', Value: 'gold' }],
      MemberList: [{ Member_Account: 'ann', Role: 'Admin' }, { Member_Account: 'bob' }],
    });
    expect(created.GroupId).toMatch(/^@TGS#[A-Z0-9]{10}$/);
    const info = await infoOf(emulator, created.GroupId as string);
    expect(info).toMatchObject({
      GroupId: created.GroupId,
      ErrorCode: 0,
      Type: 'Public',
      Name: '运维群',
      Introduction: 'intro',
      Notification: 'notice',
      FaceUrl: 'http://x/y.png',
      Owner_Account: 'leckie',
      MemberNum: 3,
      AppDefinedData: [{ Key: 'Level', Value: 'gold' }],
      MemberList: [
        { Member_Account: 'leckie', Role: 'Owner' },
        { Member_Account: 'ann', Role: 'Admin' },
        { Member_Account: 'bob', Role: 'Member' },
      ],
    });
  });

  it('gives a Community a @TGS#_ id', async () => {
    const emulator = await startEmulator();
    const { GroupId } = await callRest(emulator, CREATE, { Type: 'Community', Name: 'c', SupportTopic: 1 });
    expect(GroupId).toMatch(/^@TGS#_@TGS#[A-Z0-9]{10}$/);
  });

  it('accepts the new type names Work and Meeting and keeps the name as given', async () => {
    const emulator = await startEmulator();
    for (const Type of ['Work', 'Meeting', 'Private', 'ChatRoom', 'AVChatRoom']) {
      const { GroupId } = await callRest(emulator, CREATE, { Type, Name: Type });
      expect(await infoOf(emulator, GroupId as string)).toMatchObject({ Type });
    }
  });

  it('accepts a valid custom group id and refuses one already in use with 10021', async () => {
    const emulator = await startEmulator();
    expect(
      await callRest(emulator, CREATE, { Type: 'Public', Name: 'a', GroupId: 'ops-room' }),
    ).toMatchObject({
      GroupId: 'ops-room',
    });
    expect(await callRest(emulator, CREATE, { Type: 'Public', Name: 'b', GroupId: 'ops-room' })).toEqual(
      failure(ErrorCodes.GroupIdInUse),
    );
  });

  it('refuses a malformed custom group id with 10015', async () => {
    const emulator = await startEmulator();
    for (const GroupId of ['@TGS#mine', 'has space', 'x'.repeat(48), 'é', 'a@TOPIC#_b']) {
      expect(await callRest(emulator, CREATE, { Type: 'Public', Name: 'a', GroupId })).toEqual(
        failure(ErrorCodes.InvalidGroupId),
      );
    }
    expect(await callRest(emulator, CREATE, { Type: 'Community', Name: 'a', GroupId: 'no-prefix' })).toEqual(
      failure(ErrorCodes.InvalidGroupId),
    );
    expect(
      await callRest(emulator, CREATE, { Type: 'Community', Name: 'a', GroupId: '@TGS#_mine' }),
    ).toMatchObject({
      GroupId: '@TGS#_mine',
    });
  });

  it('refuses an unknown type, a missing or empty name and a mistyped field with 10004', async () => {
    const emulator = await startEmulator();
    for (const body of [
      { Type: 'Club', Name: 'a' },
      { Type: 'Public' },
      { Type: 'Public', Name: '' },
      { Name: 'a' },
      { Type: 'Public', Name: 'a', Introduction: 5 },
      { Type: 'Public', Name: 'a', MemberList: [{ Member_Account: 'x', Role: 'Owner' }] },
    ]) {
      expect(await callRest(emulator, CREATE, body)).toEqual(failure(ErrorCodes.InvalidParameter));
    }
  });

  it('refuses SupportTopic on a group that is not a Community with 10004', async () => {
    const emulator = await startEmulator();
    expect(await callRest(emulator, CREATE, { Type: 'Public', Name: 'a', SupportTopic: 1 })).toEqual(
      failure(ErrorCodes.InvalidParameter),
    );
  });

  it('answers one entry per id in get_group_info, with 10010 for a group that does not exist', async () => {
    const { emulator, groupId } = await emulatorWithGroup();
    const answer = await callRest(emulator, GET, { GroupIdList: [groupId, '@TGS#NOPE'] });
    expect(answer.ActionStatus).toBe('OK');
    expect(answer.GroupInfo).toEqual([
      expect.objectContaining({ GroupId: groupId, ErrorCode: 0 }),
      { GroupId: '@TGS#NOPE', ErrorCode: ErrorCodes.GroupNotFound, ErrorInfo: expect.any(String) },
    ]);
    expect(await callRest(emulator, GET, { GroupIdList: [] })).toEqual(failure(ErrorCodes.InvalidParameter));
  });
});

describe('the documented byte limits', () => {
  const cases: Array<[string, number]> = [
    ['Name', 30],
    ['Introduction', 240],
    ['Notification', 300],
    ['FaceUrl', 100],
  ];

  for (const [field, limit] of cases) {
    it(`accepts a ${field} of ${limit} bytes and refuses ${limit + 1} with 10004, on create and modify`, async () => {
      const { emulator, groupId } = await emulatorWithGroup();
      const ok = 'a'.repeat(limit);
      const over = 'a'.repeat(limit + 1);
      expect(await callRest(emulator, CREATE, { Type: 'Public', Name: 'n', [field]: ok })).toMatchObject({
        ActionStatus: 'OK',
      });
      expect(await callRest(emulator, CREATE, { Type: 'Public', Name: 'n', [field]: over })).toEqual(
        failure(ErrorCodes.InvalidParameter),
      );
      expect(await callRest(emulator, MODIFY, { GroupId: groupId, [field]: ok })).toMatchObject({
        ActionStatus: 'OK',
      });
      const refused = await callRest(emulator, MODIFY, { GroupId: groupId, [field]: over });
      expect(refused).toEqual(failure(ErrorCodes.InvalidParameter));
      expect(refused.ErrorInfo).toContain(field);
    });
  }

  it('counts UTF-8 bytes: ten CJK characters fill a 30-byte name, eleven break it', async () => {
    const { emulator, groupId } = await emulatorWithGroup();
    expect(await callRest(emulator, MODIFY, { GroupId: groupId, Name: '群'.repeat(10) })).toMatchObject({
      ActionStatus: 'OK',
    });
    expect(await callRest(emulator, MODIFY, { GroupId: groupId, Name: '群'.repeat(11) })).toEqual(
      failure(ErrorCodes.InvalidParameter),
    );
  });

  it('applies the newer set (100/400/400/500) when configured', async () => {
    const { emulator, groupId } = await emulatorWithGroup({ limits: 'newer' });
    expect(await callRest(emulator, MODIFY, { GroupId: groupId, Name: 'a'.repeat(100) })).toMatchObject({
      ActionStatus: 'OK',
    });
    expect(await callRest(emulator, MODIFY, { GroupId: groupId, FaceUrl: 'a'.repeat(500) })).toMatchObject({
      ActionStatus: 'OK',
    });
    expect(await callRest(emulator, MODIFY, { GroupId: groupId, Name: 'a'.repeat(101) })).toEqual(
      failure(ErrorCodes.InvalidParameter),
    );
  });
});

describe('custom fields', () => {
  it('refuses a key that is not letters, digits or _ of up to 16 bytes with 10004', async () => {
    const { emulator, groupId } = await emulatorWithGroup();
    for (const Key of ['bad-key', '', 'a'.repeat(17), 'ключ']) {
      expect(
        await callRest(emulator, MODIFY, { GroupId: groupId, AppDefinedData: [{ Key, Value: 'v' }] }),
      ).toEqual(failure(ErrorCodes.InvalidParameter));
    }
  });

  it('refuses a key not declared in the console with 10004', async () => {
    const { emulator, groupId } = await emulatorWithGroup();
    const answer = await callRest(emulator, MODIFY, {
      GroupId: groupId,
      AppDefinedData: [{ Key: 'Secret', Value: 'v' }],
    });
    expect(answer).toEqual(failure(ErrorCodes.InvalidParameter));
    expect(answer.ErrorInfo).toContain('not declared');
  });

  it('refuses a value over 512 bytes with 10004', async () => {
    const { emulator, groupId } = await emulatorWithGroup();
    const ok = { GroupId: groupId, AppDefinedData: [{ Key: 'Level', Value: 'v'.repeat(512) }] };
    expect(await callRest(emulator, MODIFY, ok)).toMatchObject({ ActionStatus: 'OK' });
    const over = { GroupId: groupId, AppDefinedData: [{ Key: 'Level', Value: 'v'.repeat(513) }] };
    expect(await callRest(emulator, MODIFY, over)).toEqual(failure(ErrorCodes.InvalidParameter));
  });

  it('refuses an eleventh custom field on a group with 10004, in one call or over several', async () => {
    const { emulator, groupId } = await emulatorWithGroup();
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Key: `K${i + 1}`, Value: 'v' }));
    expect(await callRest(emulator, MODIFY, { GroupId: groupId, AppDefinedData: eleven })).toEqual(
      failure(ErrorCodes.InvalidParameter),
    );
    expect(
      await callRest(emulator, MODIFY, { GroupId: groupId, AppDefinedData: eleven.slice(0, 10) }),
    ).toMatchObject({
      ActionStatus: 'OK',
    });
    expect(await callRest(emulator, MODIFY, { GroupId: groupId, AppDefinedData: [eleven[10]] })).toEqual(
      failure(ErrorCodes.InvalidParameter),
    );
    // Changing one of the ten is still fine.
    expect(
      await callRest(emulator, MODIFY, { GroupId: groupId, AppDefinedData: [{ Key: 'K1', Value: 'w' }] }),
    ).toMatchObject({
      ActionStatus: 'OK',
    });
  });

  it('keeps a field set to an empty Value as empty by default, and deletes it when configured', async () => {
    const kept = await emulatorWithGroup({}, { AppDefinedData: [{ Key: 'Level', Value: 'gold' }] });
    await callRest(kept.emulator, MODIFY, {
      GroupId: kept.groupId,
      AppDefinedData: [{ Key: 'Level', Value: '' }],
    });
    expect((await infoOf(kept.emulator, kept.groupId)).AppDefinedData).toEqual([{ Key: 'Level', Value: '' }]);

    const deleted = await emulatorWithGroup(
      { emptyCustomValue: 'delete' },
      { AppDefinedData: [{ Key: 'Level', Value: 'gold' }] },
    );
    await callRest(deleted.emulator, MODIFY, {
      GroupId: deleted.groupId,
      AppDefinedData: [{ Key: 'Level', Value: '' }],
    });
    expect((await infoOf(deleted.emulator, deleted.groupId)).AppDefinedData).toEqual([]);
  });
});

describe('modify_group_base_info and destroy_group', () => {
  it('changes the profile and the settings that fire no callback', async () => {
    const { emulator, groupId } = await emulatorWithGroup();
    const answer = await callRest(emulator, MODIFY, {
      GroupId: groupId,
      Notification: 'new',
      MaxMemberNum: 50,
      ApplyJoinOption: 'FreeAccess',
      MuteAllMember: 'On',
    });
    expect(answer).toEqual({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });
    expect(await infoOf(emulator, groupId)).toMatchObject({
      Notification: 'new',
      MaxMemberNum: 50,
      ApplyJoinOption: 'FreeAccess',
      MuteAllMember: 'On',
    });
  });

  it('refuses an invalid setting and an empty name with 10004, changing nothing', async () => {
    const { emulator, groupId } = await emulatorWithGroup();
    for (const change of [
      { MuteAllMember: 'Maybe' },
      { Name: '' },
      { MaxMemberNum: -1 },
      { ApplyJoinOption: 'x' },
    ]) {
      expect(
        await callRest(emulator, MODIFY, { GroupId: groupId, Notification: 'changed', ...change }),
      ).toEqual(failure(ErrorCodes.InvalidParameter));
    }
    expect(await infoOf(emulator, groupId)).toMatchObject({ Name: 'Ops', Notification: '' });
  });

  it('answers 10010 for a group that does not exist and 10015 for an id that cannot be one', async () => {
    const emulator = await startEmulator();
    expect(await callRest(emulator, MODIFY, { GroupId: '@TGS#GONE', Name: 'x' })).toEqual(
      failure(ErrorCodes.GroupNotFound),
    );
    expect(await callRest(emulator, MODIFY, { GroupId: 'x'.repeat(60), Name: 'x' })).toEqual(
      failure(ErrorCodes.InvalidGroupId),
    );
    expect(await callRest(emulator, MODIFY, { GroupId: '@TGS#_a@TOPIC#_b', Name: 'x' })).toEqual(
      failure(ErrorCodes.InvalidGroupId),
    );
    expect(await callRest(emulator, DESTROY, { GroupId: '@TGS#GONE' })).toEqual(
      failure(ErrorCodes.GroupNotFound),
    );
    expect(await callRest(emulator, MODIFY, { Name: 'x' })).toEqual(failure(ErrorCodes.InvalidParameter));
  });

  it('destroys a group: it is then not found, and its id is free again', async () => {
    const { emulator, groupId } = await emulatorWithGroup({}, { GroupId: 'team-1' });
    expect(await callRest(emulator, DESTROY, { GroupId: groupId })).toEqual({
      ActionStatus: 'OK',
      ErrorInfo: '',
      ErrorCode: 0,
    });
    expect(await callRest(emulator, MODIFY, { GroupId: groupId, Name: 'x' })).toEqual(
      failure(ErrorCodes.GroupNotFound),
    );
    expect(
      await callRest(emulator, CREATE, { Type: 'Public', Name: 'again', GroupId: 'team-1' }),
    ).toMatchObject({
      ActionStatus: 'OK',
    });
  });
});
