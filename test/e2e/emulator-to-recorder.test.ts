import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { createRecorder, type Recorder, silentLogger } from '../../src/server/index.js';

// The official UserSig generator, used as a real app backend would (docs/protocol.md §4).
const { Api } = createRequire(import.meta.url)('tls-sig-api-v2') as {
  Api: new (sdkAppId: number, key: string) => { genUserSig(userId: string, expireSeconds: number): string };
};

const SDK_APP_ID = 1400000123;
const SECRET_KEY = 'e2e-secret-key-of-this-test-app';
const TOKEN = 'e2e-callback-token';

let recorder: Recorder | undefined;
let emulator: Emulator | undefined;
let dir: string | undefined;
afterEach(async () => {
  await emulator?.stop();
  await recorder?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  recorder = emulator = dir = undefined;
});

interface History {
  events: Array<{
    command: string;
    kind: string;
    groupId: string;
    topicId: string | null;
    operator: string;
    optPlatform: string;
    clientIp: string;
    diff: Array<{ field: string; from: string | null; to: string }>;
  }>;
  next: number | null;
}

it('records exactly the changes made through the emulator, with from/to, operator and platform', async () => {
  dir = mkdtempSync(join(tmpdir(), 'timhook-e2e-'));
  recorder = await createRecorder({
    sdkAppId: SDK_APP_ID,
    tokens: [TOKEN],
    port: 0,
    db: join(dir, 'e2e.db'),
    logger: silentLogger,
  });
  await recorder.start();
  emulator = createEmulator({
    sdkAppId: SDK_APP_ID,
    secretKey: SECRET_KEY,
    callbackUrl: recorder.callbackUrl,
    callbackToken: TOKEN,
    customFieldKeys: ['Level'],
  });
  await emulator.start();
  const sigs = new Api(SDK_APP_ID, SECRET_KEY);
  const rest = async (command: string, body: unknown) => {
    const url = new URL(`/v4/${command}`, emulator!.url);
    url.search = new URLSearchParams({
      sdkappid: String(SDK_APP_ID),
      identifier: 'administrator',
      usersig: sigs.genUserSig('administrator', 3600),
      random: String(Math.floor(Math.random() * 2 ** 31)),
      contenttype: 'json',
    }).toString();
    const answer = (await (
      await fetch(url, { method: 'POST', body: JSON.stringify(body) })
    ).json()) as Record<string, unknown>;
    expect(answer).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0 });
    return answer;
  };

  const { GroupId } = (await rest('group_open_http_svc/create_group', {
    Type: 'Public',
    Name: 'Ops',
    Owner_Account: 'alice',
    MemberList: [{ Member_Account: 'bob', Role: 'Admin' }],
  })) as { GroupId: string };
  await rest('group_open_http_svc/modify_group_base_info', { GroupId, Name: 'Ops team', Notification: 'Hi' });
  await rest('group_open_http_svc/modify_group_base_info', { GroupId, Name: 'Ops team' }); // no change: no callback
  await rest('group_open_http_svc/modify_group_base_info', {
    GroupId,
    From_Account: 'alice',
    AppDefinedData: [{ Key: 'Level', Value: '2' }],
  });
  const client = await emulator.client('modify_group_base_info', {
    GroupId,
    Name: '运维 🚀',
    Operator_Account: 'bob',
    OptPlatform: 'iOS',
    ClientIP: '203.0.113.9',
  });
  expect(client.ActionStatus).toBe('OK');
  const { GroupId: communityId } = (await rest('group_open_http_svc/create_group', {
    Type: 'Community',
    Name: 'Makers',
    Owner_Account: 'alice',
    SupportTopic: 1,
  })) as { GroupId: string };
  const { TopicId } = (await rest('million_group_open_http_svc/create_topic', {
    GroupId: communityId,
    TopicName: 'General',
    From_Account: 'alice',
  })) as { TopicId: string };
  await rest('million_group_open_http_svc/modify_topic', {
    GroupId: communityId,
    TopicId,
    Introduction: 'All things',
  });
  await emulator.idle();

  const history = (await (
    await fetch(`${recorder.url}/api/groups/${encodeURIComponent(GroupId)}/history?order=asc`)
  ).json()) as History;
  expect(
    history.events.map(({ command, operator, optPlatform, clientIp, diff }) => ({
      command,
      operator,
      optPlatform,
      clientIp,
      diff,
    })),
  ).toEqual([
    {
      command: 'Group.CallbackAfterCreateGroup',
      operator: 'administrator',
      optPlatform: 'RESTAPI',
      clientIp: expect.any(String),
      // The create callback lists every base field (docs/protocol.md §2), empty ones as "".
      diff: [
        { field: 'Name', from: null, to: 'Ops' },
        { field: 'Introduction', from: null, to: '' },
        { field: 'Notification', from: null, to: '' },
      ],
    },
    {
      command: 'Group.CallbackAfterGroupInfoChanged',
      operator: 'administrator',
      optPlatform: 'RESTAPI',
      clientIp: expect.any(String),
      diff: [
        { field: 'Name', from: 'Ops', to: 'Ops team' },
        { field: 'Notification', from: '', to: 'Hi' },
      ],
    },
    {
      command: 'Group.CallbackAfterGroupInfoChanged',
      operator: 'alice',
      optPlatform: 'RESTAPI',
      clientIp: expect.any(String),
      diff: [{ field: 'customFields.Level', from: null, to: '2' }],
    },
    {
      command: 'Group.CallbackAfterGroupInfoChanged',
      operator: 'bob',
      optPlatform: 'iOS',
      clientIp: '203.0.113.9',
      diff: [{ field: 'Name', from: 'Ops team', to: '运维 🚀' }],
    },
  ]);

  const group = (await (await fetch(`${recorder.url}/api/groups/${encodeURIComponent(GroupId)}`)).json()) as {
    profile: Record<string, unknown>;
    fields: Record<string, { operator: string }>;
  };
  expect(group.profile).toEqual({
    Name: '运维 🚀',
    Introduction: '',
    Notification: 'Hi',
    customFields: { Level: '2' },
  });
  expect(group.fields.Name!.operator).toBe('bob');

  const topic = (await (
    await fetch(`${recorder.url}/api/topics/${encodeURIComponent(TopicId)}/history?order=asc`)
  ).json()) as History;
  expect(topic.events.map((e) => [e.command, e.topicId, e.groupId, e.diff])).toEqual([
    ['Group.CallbackAfterCreateTopic', TopicId, communityId, [{ field: 'Name', from: null, to: 'General' }]],
    [
      'Group.CallbackAfterTopicInfoChanged',
      TopicId,
      communityId,
      [{ field: 'Introduction', from: null, to: 'All things' }],
    ],
  ]);
  // Every delivery was answered OK by the recorder.
  // Seven callbacks (the unchanged modify sent none), each answered 200 OK by the recorder.
  const deliveries = emulator.deliveries();
  expect(deliveries.map((d) => [d.status, d.actionStatus])).toEqual(Array(7).fill([200, 'OK']));
});
