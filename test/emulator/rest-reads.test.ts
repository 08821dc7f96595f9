import { describe, expect, it } from 'vitest';
import { type Emulator, type EmulatorOptions, ErrorCodes } from '../../src/emulator/index.js';
import { callRest, failure, startEmulator } from './helpers.js';

const CREATE = 'group_open_http_svc/create_group';
const LIST = 'group_open_http_svc/get_appid_group_list';
const INFO = 'group_open_http_svc/get_group_info';
const MODIFY = 'group_open_http_svc/modify_group_base_info';
const DESTROY = 'group_open_http_svc/destroy_group';
const CREATE_TOPIC = 'million_group_open_http_svc/create_topic';
const GET_TOPIC = 'million_group_open_http_svc/get_topic';

// These tests read as fast as they like: the per-API rate limits have tests of their own.
async function readableEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ rateLimits: 'off', customFieldKeys: ['Level', 'Tag'], ...options });
}

async function createGroups(emulator: Emulator, types: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, Type] of types.entries()) {
    const answer = await callRest(emulator, CREATE, { Type, Name: `g${i}` });
    expect(answer.ActionStatus).toBe('OK');
    ids.push(answer.GroupId as string);
  }
  return ids;
}

async function listAll(emulator: Emulator, body: Record<string, unknown>, from = 0) {
  const pages: Array<Record<string, unknown>> = [];
  let next = from;
  do {
    const page = await callRest(emulator, LIST, { ...body, Next: next });
    expect(page.ActionStatus).toBe('OK');
    pages.push(page);
    next = page.Next as number;
  } while (next !== 0 && pages.length < 100);
  return pages;
}

const idsOf = (page: Record<string, unknown>) =>
  (page.GroupIdList as Array<{ GroupId: string }>).map((item) => item.GroupId);

describe('get_appid_group_list', () => {
  it('lists every group in the documented shape, 10,000 a page when no Limit is given', async () => {
    const emulator = await readableEmulator();
    const ids = await createGroups(emulator, ['Public', 'Private', 'Community']);
    expect(await callRest(emulator, LIST, {})).toEqual({
      ActionStatus: 'OK',
      ErrorCode: 0,
      ErrorInfo: '',
      TotalCount: 3,
      GroupIdList: ids.map((GroupId) => ({ GroupId })),
      Next: 0,
    });
  });

  it('pages with Limit and the Next cursor until Next is 0; TotalCount ignores the paging', async () => {
    const emulator = await readableEmulator();
    const ids = await createGroups(emulator, ['Public', 'Public', 'Public', 'Public', 'Public']);
    const pages = await listAll(emulator, { Limit: 2 });
    expect(pages.map(idsOf)).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
    expect(pages.map((page) => page.TotalCount)).toEqual([5, 5, 5]);
    expect(pages.at(-1)!.Next).toBe(0);
  });

  it('neither repeats nor skips a group when groups are created and destroyed between pages', async () => {
    const emulator = await readableEmulator();
    const ids = await createGroups(emulator, ['Public', 'Public', 'Public', 'Public']);
    const first = await callRest(emulator, LIST, { Limit: 2, Next: 0 });
    expect(idsOf(first)).toEqual(ids.slice(0, 2));
    await callRest(emulator, DESTROY, { GroupId: ids[0] });
    const [late] = await createGroups(emulator, ['Public']);
    const rest = await listAll(emulator, { Limit: 2 }, first.Next as number);
    expect(rest.flatMap(idsOf)).toEqual([...ids.slice(2), late]);
  });

  it('keeps one kind with GroupType, old and new type names alike', async () => {
    const emulator = await readableEmulator();
    const ids = await createGroups(emulator, [
      'Public',
      'Private',
      'Work',
      'ChatRoom',
      'Community',
      'Public',
    ]);
    const publicOnly = await callRest(emulator, LIST, { GroupType: 'Public' });
    expect(idsOf(publicOnly)).toEqual([ids[0], ids[5]]);
    expect(publicOnly.TotalCount).toBe(2);
    expect(idsOf(await callRest(emulator, LIST, { GroupType: 'Private' }))).toEqual([ids[1], ids[2]]);
    expect(idsOf(await callRest(emulator, LIST, { GroupType: 'Community' }))).toEqual([ids[4]]);
    const paged = await listAll(emulator, { GroupType: 'Public', Limit: 1 });
    expect(paged.map(idsOf)).toEqual([[ids[0]], [ids[5]]]);
  });

  it('refuses a Limit over 10,000 or under 1, a negative Next and an unknown GroupType with 10004', async () => {
    const emulator = await readableEmulator();
    for (const body of [
      { Limit: 10_001 },
      { Limit: 0 },
      { Next: -1 },
      { GroupType: 'Club' },
      { Limit: '5' },
    ]) {
      expect(await callRest(emulator, LIST, body), JSON.stringify(body)).toEqual(
        failure(ErrorCodes.InvalidParameter),
      );
    }
    expect((await callRest(emulator, LIST, { Limit: 10_000 })).ActionStatus).toBe('OK');
  });
});

describe('get_group_info', () => {
  async function emulatorWithGroup() {
    const emulator = await readableEmulator();
    const { GroupId } = await callRest(emulator, CREATE, {
      Type: 'Public',
      Name: 'Ops',
      Owner_Account: 'leckie',
      Introduction: 'intro',
      Notification: 'notice',
      FaceUrl: 'https://x/y.png',
      AppDefinedData: [
        { Key: 'Level', Value: 'gold' },
        { Key: 'Tag', Value: 'a' },
      ],
      MemberList: [{ Member_Account: 'ann', Role: 'Admin' }],
    });
    return { emulator, groupId: GroupId as string };
  }

  it('answers every part without a ResponseFilter: profile, custom fields, members, change time', async () => {
    const { emulator, groupId } = await emulatorWithGroup();
    const [info] = (await callRest(emulator, INFO, { GroupIdList: [groupId] })).GroupInfo as Array<
      Record<string, unknown>
    >;
    expect(info).toMatchObject({
      GroupId: groupId,
      ErrorCode: 0,
      ErrorInfo: '',
      Type: 'Public',
      Name: 'Ops',
      Introduction: 'intro',
      Notification: 'notice',
      FaceUrl: 'https://x/y.png',
      Owner_Account: 'leckie',
      InfoSeq: 1,
      LastInfoTime: expect.any(Number),
      AppDefinedData: [
        { Key: 'Level', Value: 'gold' },
        { Key: 'Tag', Value: 'a' },
      ],
      MemberList: [
        { Member_Account: 'leckie', Role: 'Owner' },
        { Member_Account: 'ann', Role: 'Admin' },
      ],
    });
  });

  it('answers only the base fields and custom fields a ResponseFilter names', async () => {
    const { emulator, groupId } = await emulatorWithGroup();
    const answer = await callRest(emulator, INFO, {
      GroupIdList: [groupId],
      ResponseFilter: {
        GroupBaseInfoFilter: ['Type', 'Name', 'Introduction', 'Notification', 'FaceUrl'],
        AppDefinedDataFilter_Group: ['Tag', 'Unset'],
      },
    });
    expect(answer.GroupInfo).toEqual([
      {
        GroupId: groupId,
        ErrorCode: 0,
        ErrorInfo: '',
        Type: 'Public',
        Name: 'Ops',
        Introduction: 'intro',
        Notification: 'notice',
        FaceUrl: 'https://x/y.png',
        AppDefinedData: [{ Key: 'Tag', Value: 'a' }],
      },
    ]);
  });

  it('leaves out custom fields and members when a ResponseFilter does not ask for them', async () => {
    const { emulator, groupId } = await emulatorWithGroup();
    const answer = await callRest(emulator, INFO, {
      GroupIdList: [groupId],
      ResponseFilter: { GroupBaseInfoFilter: ['Name'], MemberInfoFilter: ['Account'] },
    });
    expect(answer.GroupInfo).toEqual([
      {
        GroupId: groupId,
        ErrorCode: 0,
        ErrorInfo: '',
        Name: 'Ops',
        MemberList: [{ Member_Account: 'leckie' }, { Member_Account: 'ann' }],
      },
    ]);
  });

  it('moves InfoSeq and LastInfoTime on a real change only', async () => {
    let now = Date.UTC(2026, 0, 1);
    const emulator = await readableEmulator({ now: () => now });
    const { GroupId } = await callRest(emulator, CREATE, { Type: 'Public', Name: 'Ops' });
    const read = async () =>
      (
        (await callRest(emulator, INFO, { GroupIdList: [GroupId] })).GroupInfo as Array<
          Record<string, unknown>
        >
      )[0]!;
    expect(await read()).toMatchObject({ InfoSeq: 1, LastInfoTime: now / 1000 });
    now += 60_000;
    await callRest(emulator, MODIFY, { GroupId, Name: 'Ops' });
    expect(await read()).toMatchObject({ InfoSeq: 1 });
    await callRest(emulator, MODIFY, { GroupId, Name: 'Ops 2' });
    expect(await read()).toMatchObject({ InfoSeq: 2, LastInfoTime: now / 1000 });
  });

  it('takes at most 50 ids a call and refuses 51 with 10004', async () => {
    const { emulator, groupId } = await emulatorWithGroup();
    const fifty = Array.from({ length: 50 }, (_, i) => (i === 0 ? groupId : `@TGS#missing${i}`));
    const answer = await callRest(emulator, INFO, { GroupIdList: fifty });
    expect(answer.ActionStatus).toBe('OK');
    expect(answer.GroupInfo).toHaveLength(50);
    expect(await callRest(emulator, INFO, { GroupIdList: [...fifty, 'one-more'] })).toEqual(
      failure(ErrorCodes.InvalidParameter),
    );
    expect(await callRest(emulator, INFO, { GroupIdList: [] })).toEqual(failure(ErrorCodes.InvalidParameter));
  });

  it('answers each unknown id with its own ErrorCode 10010 beside the groups that exist', async () => {
    const { emulator, groupId } = await emulatorWithGroup();
    const answer = await callRest(emulator, INFO, {
      GroupIdList: ['@TGS#nope', groupId],
      ResponseFilter: { GroupBaseInfoFilter: ['Name'] },
    });
    expect(answer).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0 });
    expect(answer.GroupInfo).toEqual([
      { GroupId: '@TGS#nope', ErrorCode: ErrorCodes.GroupNotFound, ErrorInfo: expect.any(String) },
      { GroupId: groupId, ErrorCode: 0, ErrorInfo: '', Name: 'Ops' },
    ]);
  });
});

describe('get_topic', () => {
  async function communityWithTopics() {
    const emulator = await readableEmulator();
    const { GroupId } = await callRest(emulator, CREATE, { Type: 'Community', Name: 'c', SupportTopic: 1 });
    const topics: string[] = [];
    for (const name of ['news', 'chat']) {
      const answer = await callRest(emulator, CREATE_TOPIC, {
        GroupId,
        TopicName: name,
        Introduction: `${name} intro`,
        Notification: `${name} notice`,
        FaceUrl: `https://x/${name}.png`,
        CustomString: `${name}-custom`,
      });
      topics.push(answer.TopicId as string);
    }
    return { emulator, groupId: GroupId as string, topics };
  }

  it('answers every topic of a community with its profile when no TopicIdList is given', async () => {
    const { emulator, groupId, topics } = await communityWithTopics();
    const answer = await callRest(emulator, GET_TOPIC, { GroupId: groupId });
    expect(answer).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0 });
    expect(answer.TopicAndSelfInfo).toEqual(
      ['news', 'chat'].map((name, i) => ({
        ErrorCode: 0,
        ErrorInfo: '',
        TopicInfo: expect.objectContaining({
          TopicId: topics[i],
          TopicName: name,
          Introduction: `${name} intro`,
          Notification: `${name} notice`,
          FaceUrl: `https://x/${name}.png`,
          CustomString: `${name}-custom`,
        }),
      })),
    );
  });

  it('answers the listed topics, an unknown one with its own 10010, and only the filtered fields', async () => {
    const { emulator, groupId, topics } = await communityWithTopics();
    const missing = `${groupId}@TOPIC#_gone`;
    const answer = await callRest(emulator, GET_TOPIC, {
      GroupId: groupId,
      TopicIdList: [topics[1], missing],
      ResponseFilter: ['TopicName', 'CustomString'],
    });
    expect(answer.TopicAndSelfInfo).toEqual([
      {
        ErrorCode: 0,
        ErrorInfo: '',
        TopicInfo: { TopicId: topics[1], TopicName: 'chat', CustomString: 'chat-custom' },
      },
      { ErrorCode: ErrorCodes.GroupNotFound, ErrorInfo: expect.any(String), TopicInfo: { TopicId: missing } },
    ]);
  });

  it('refuses a group without topics with 10004 and a group that does not exist with 10010', async () => {
    const emulator = await readableEmulator();
    const [plain] = await createGroups(emulator, ['Public']);
    expect(await callRest(emulator, GET_TOPIC, { GroupId: plain })).toEqual(
      failure(ErrorCodes.InvalidParameter),
    );
    expect(await callRest(emulator, GET_TOPIC, { GroupId: '@TGS#_@TGS#nope' })).toEqual(
      failure(ErrorCodes.GroupNotFound),
    );
  });
});
