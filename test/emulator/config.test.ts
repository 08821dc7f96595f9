import { describe, expect, it } from 'vitest';
import { createEmulator, ErrorCodes } from '../../src/emulator/index.js';
import { callRest, failure, postJson, startEmulator, startReceiver } from './helpers.js';

const CREATE_GROUP = 'group_open_http_svc/create_group';

async function putConfig(url: string, body: unknown) {
  const response = await fetch(`${url}/emulator/config`, { method: 'PUT', body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('GET and PUT /emulator/config', () => {
  it('shows the documented defaults and the app id, never the secret key', async () => {
    const emulator = await startEmulator();
    const { status, json } = await postJson(`${emulator.url}/emulator/config`, null, 'GET');
    expect(status).toBe(200);
    expect(json).toEqual({
      sdkAppId: '1400000000',
      callbackUrl: null,
      callbackToken: null,
      callbacks: {
        groupInfo: true,
        createGroup: true,
        groupDestroyed: true,
        createTopic: true,
        topicDestroyed: true,
      },
      limits: { Name: 30, Introduction: 240, Notification: 300, FaceUrl: 100 },
      customFieldKeys: [],
      admins: ['administrator'],
      unchangedFields: 'omit',
      emptyCustomValue: 'set',
      topicBody: 'extended',
      eventTimeFormat: 'number',
      callbackContentType: null,
      timeoutMs: 2000,
      retryOnTimeout: 0,
      retryIntervalMs: 1000,
      rateLimits: {
        'group_open_http_svc/get_appid_group_list': 1,
        'group_open_http_svc/get_group_info': 200,
        'million_group_open_http_svc/get_topic': 200,
      },
      dropCallbacks: 0,
      silentChanges: false,
      seed: null,
    });
    expect(JSON.stringify(json)).not.toContain('5bd2850fff');
  });

  it('changes settings at run time, masks the token, and the change takes effect', async () => {
    const receiver = await startReceiver();
    const emulator = await startEmulator();
    const { status, json } = await putConfig(emulator.url, {
      callbackUrl: receiver.url,
      callbackToken: 'my-token',
      callbacks: { createGroup: true, groupDestroyed: false },
      limits: 'newer',
      customFieldKeys: ['Level'],
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({
      callbackUrl: receiver.url,
      callbackToken: '********',
      callbacks: { groupInfo: true, createGroup: true, groupDestroyed: false },
      limits: { Name: 100, Introduction: 400, Notification: 400, FaceUrl: 500 },
      customFieldKeys: ['Level'],
    });
    expect(JSON.stringify(json)).not.toContain('my-token');
    const created = await callRest(emulator, CREATE_GROUP, {
      Type: 'Public',
      Name: 'n'.repeat(100),
      AppDefinedData: [{ Key: 'Level', Value: '1' }],
    });
    expect(created.ActionStatus).toBe('OK');
    const [callback] = await receiver.waitFor(1);
    expect(callback!.body.CallbackCommand).toBe('Group.CallbackAfterCreateGroup');
    expect(callback!.query.get('Sign')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts a custom limit set and turns the callback URL off with null', async () => {
    const emulator = await startEmulator();
    const { json } = await putConfig(emulator.url, {
      limits: { Name: 5, Introduction: 5, Notification: 5, FaceUrl: 5 },
      callbackUrl: null,
    });
    expect(json).toMatchObject({ limits: { Name: 5 }, callbackUrl: null });
    expect(await callRest(emulator, CREATE_GROUP, { Type: 'Public', Name: 'sixsix' })).toEqual(
      failure(ErrorCodes.InvalidParameter),
    );
  });

  it('refuses a bad update whole with 400 and every problem named, changing nothing', async () => {
    const emulator = await startEmulator();
    const { status, json } = await putConfig(emulator.url, {
      callbackUrl: 'ftp://nope',
      timeoutMs: -1,
      limits: 'huge',
      customFieldKeys: ['bad-key'],
      unknownSetting: true,
    });
    expect(status).toBe(400);
    const message = (json.error as { code: string; message: string }).message;
    for (const field of ['callbackUrl', 'timeoutMs', 'limits', 'customFieldKeys', 'unknownSetting']) {
      expect(message).toContain(field);
    }
    expect((json.error as { code: string }).code).toBe('invalid_config');
    expect(emulator.config().timeoutMs).toBe(2000);
    expect((await putConfig(emulator.url, [1])).status).toBe(400);
  });

  it('lets the admin list change, which the REST face then enforces', async () => {
    const emulator = await startEmulator();
    await putConfig(emulator.url, { admins: ['ops_bot'] });
    expect(await callRest(emulator, CREATE_GROUP, { Type: 'Public', Name: 'a' })).toEqual(
      failure(ErrorCodes.NotAdmin),
    );
    expect(
      await callRest(emulator, CREATE_GROUP, { Type: 'Public', Name: 'a' }, {}, 'ops_bot'),
    ).toMatchObject({
      ActionStatus: 'OK',
    });
  });

  it('answers other methods with 405 and unknown paths with 404, in the JSON API shape', async () => {
    const emulator = await startEmulator();
    const patch = await fetch(`${emulator.url}/emulator/config`, { method: 'PATCH', body: '{}' });
    expect(patch.status).toBe(405);
    const missing = await fetch(`${emulator.url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });
});

describe('configure() in process', () => {
  it('applies a patch and refuses a bad one with a [timhook] TypeError', async () => {
    const emulator = createEmulator();
    expect(emulator.configure({ topicBody: 'documented' }).topicBody).toBe('documented');
    expect(() => emulator.configure({ retryOnTimeout: 99 })).toThrow(/\[timhook\].*retryOnTimeout/);
    expect(emulator.config().retryOnTimeout).toBe(0);
    await emulator.stop();
  });
});
