import { describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { isFatalRestError, type RestCallEvent, RestError } from '../../src/rest/index.js';
import { ADMIN, onCleanup, restClientFor, SDK_APP_ID, SECRET_KEY } from './helpers.js';

async function startEmulator(): Promise<Emulator> {
  const emulator = createEmulator({
    sdkAppId: SDK_APP_ID,
    secretKey: SECRET_KEY,
    customFieldKeys: ['Level', 'Tag'],
    admins: [ADMIN],
  });
  onCleanup(() => emulator.stop());
  await emulator.start();
  return emulator;
}

async function createGroup(emulator: Emulator, body: Record<string, unknown>): Promise<string> {
  const answer = await emulator.rest('group_open_http_svc/create_group', body);
  if (answer.ActionStatus !== 'OK') throw new Error(`create_group failed: ${JSON.stringify(answer)}`);
  return answer.GroupId as string;
}

/** The error a promise rejects with. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('the promise resolved');
}

describe('the REST client against the emulator', () => {
  it('reads group profiles with their custom fields, one result per id, in order', async () => {
    const emulator = await startEmulator();
    const ops = await createGroup(emulator, {
      Type: 'Public',
      Name: '运维群',
      Introduction: 'intro',
      Notification: 'notice',
      FaceUrl: 'https://x/y.png',
      AppDefinedData: [
        { Key: 'Level', Value: 'gold' },
        { Key: 'Tag', Value: '' },
      ],
    });
    const bare = await createGroup(emulator, { Type: 'Private', Name: 'Bare' });
    const client = restClientFor(emulator.url);

    const results = await client.getGroupInfo([bare, '@TGS#NOSUCHGROUP', ops]);
    expect(results).toEqual([
      {
        groupId: bare,
        found: true,
        type: 'Private',
        profile: { Name: 'Bare', Introduction: '', Notification: '', FaceUrl: '', customFields: {} },
        raw: expect.objectContaining({ GroupId: bare }),
      },
      {
        groupId: '@TGS#NOSUCHGROUP',
        found: false,
        gone: true,
        errorCode: 10010,
        errorInfo: expect.any(String),
      },
      {
        groupId: ops,
        found: true,
        type: 'Public',
        profile: {
          Name: '运维群',
          Introduction: 'intro',
          Notification: 'notice',
          FaceUrl: 'https://x/y.png',
          customFields: { Level: 'gold', Tag: '' },
        },
        raw: expect.objectContaining({ GroupId: ops, Type: 'Public' }),
      },
    ]);
  });

  it('sees a change made after the first read', async () => {
    const emulator = await startEmulator();
    const id = await createGroup(emulator, { Type: 'Public', Name: 'Before' });
    const client = restClientFor(emulator.url);
    expect((await client.getGroupInfo([id]))[0]).toMatchObject({ profile: { Name: 'Before' } });
    await emulator.rest('group_open_http_svc/modify_group_base_info', {
      GroupId: id,
      Name: 'After',
      AppDefinedData: [{ Key: 'Level', Value: 'silver' }],
    });
    expect((await client.getGroupInfo([id], { customFieldKeys: ['Level'] }))[0]).toMatchObject({
      profile: { Name: 'After', customFields: { Level: 'silver' } },
    });
  });

  it('reads a community’s topics with their profiles, all or the ones asked for', async () => {
    const emulator = await startEmulator();
    const community = await createGroup(emulator, { Type: 'Community', Name: 'Hub', SupportTopic: 1 });
    const topicIds: string[] = [];
    for (const name of ['general', 'random']) {
      const answer = await emulator.rest('million_group_open_http_svc/create_topic', {
        GroupId: community,
        TopicName: name,
        Introduction: `about ${name}`,
        CustomString: `cs-${name}`,
      });
      topicIds.push(answer.TopicId as string);
    }
    const client = restClientFor(emulator.url);

    const all = await client.getTopic(community);
    expect(all).toEqual([
      {
        topicId: topicIds[0],
        found: true,
        profile: { Name: 'general', Introduction: 'about general', Notification: '', FaceUrl: '' },
        customString: 'cs-general',
        raw: expect.objectContaining({ TopicId: topicIds[0], TopicName: 'general' }),
      },
      {
        topicId: topicIds[1],
        found: true,
        profile: { Name: 'random', Introduction: 'about random', Notification: '', FaceUrl: '' },
        customString: 'cs-random',
        raw: expect.objectContaining({ TopicId: topicIds[1] }),
      },
    ]);
    const missing = `${community}@TOPIC#_gone`;
    const some = await client.getTopic(community, { topicIds: [topicIds[1]!, missing] });
    expect(some.map((topic) => [topic.topicId, topic.found])).toEqual([
      [topicIds[1], true],
      [missing, false],
    ]);
    expect(some[1]).toMatchObject({ gone: true, errorCode: 10010 });
  });

  it('turns a Chat error answer into a RestError with the ErrorCode and ErrorInfo, not retried', async () => {
    const emulator = await startEmulator();
    const events: RestCallEvent[] = [];
    const client = restClientFor(emulator.url, { onCall: (event) => events.push(event) });
    const error = await rejectionOf(client.getTopic('@TGS#_NOSUCHCOMMUNITY'));
    expect(error).toBeInstanceOf(RestError);
    expect(error).toMatchObject({
      kind: 'chat',
      api: 'million_group_open_http_svc/get_topic',
      errorCode: 10010,
      errorInfo: expect.stringMatching(/\S/),
      attempts: 1,
      fatal: false,
    });
    expect(events).toEqual([
      expect.objectContaining({ outcome: 'error', errorCode: 10010, willRetry: false }),
    ]);
  });

  it('stops at once with a clear fatal error when the secret key is wrong (70009)', async () => {
    const emulator = await startEmulator();
    const wrongKey = 'not-the-app-secret-key-0123456789';
    const client = restClientFor(emulator.url, { secretKey: wrongKey });
    const error = await rejectionOf(client.getGroupInfo(['@TGS#ANY']));
    expect(isFatalRestError(error)).toBe(true);
    expect(error).toMatchObject({ kind: 'fatal', errorCode: 70009, attempts: 1 });
    const message = (error as Error).message;
    expect(message).toMatch(/secret key is not this app’s/);
    expect(message).toMatch(/SDKAppID 1400000000 as "administrator"/);
    expect(message).not.toContain(wrongKey);
    expect(client.metrics().calls).toEqual({ 'group_open_http_svc/get_group_info': { fatal: 1 } });
  });

  it('stops at once with a clear fatal error when the identifier is not an app admin (60010)', async () => {
    const emulator = await startEmulator();
    const client = restClientFor(emulator.url, { identifier: 'leckie' });
    const error = await rejectionOf(client.getGroupInfo(['@TGS#ANY']));
    expect(error).toMatchObject({ kind: 'fatal', errorCode: 60010, attempts: 1 });
    expect((error as Error).message).toMatch(/"leckie": the identifier is not an app admin/);
  });

  it('stops at once with a fatal error for another app’s SDKAppID (60006)', async () => {
    const emulator = await startEmulator();
    const client = restClientFor(emulator.url, { sdkAppId: 1400000001 });
    const error = await rejectionOf(client.getGroupInfo(['@TGS#ANY']));
    expect(error).toMatchObject({ kind: 'fatal', errorCode: 60006, attempts: 1 });
  });
});
