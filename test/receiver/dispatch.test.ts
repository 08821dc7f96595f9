import { afterEach, describe, expect, it } from 'vitest';
import { type AnyEvent, createReceiver, type Receiver, ReceiverError } from '../../src/receiver/index.js';
import { readSeed, readSeedJson, SEED_REQUESTS, type SeedRequestName } from '../fixtures/seeds.js';
import { ADAPTERS, type Harness } from './support/adapters.js';
import {
  APP_ID,
  callbackPath,
  createRecordingReceiver,
  GROUP_CHANGED,
  groupChangedBody,
  NOW_MS,
  NOW_S,
  signedPath,
  TOKEN,
} from './support/callbacks.js';
import type { TestAnswer } from './support/http-client.js';

const OK = { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 };

/** What each seed sample must parse into (seed 000 and the three samples of seed 003). */
const SEED_BODIES: Record<SeedRequestName, Record<string, unknown>> = {
  'topic-info-changed': {
    CallbackCommand: 'Group.CallbackAfterTopicInfoChanged',
    GroupId: '@TGS#2J4SZEAEL',
    Type: 'Community',
    Operator_Account: 'leckie',
    Name: 'TestTopic',
    Introduction: 'TestIntroduction',
    Notification: 'NewNotification',
    FaceUrl: 'http://this.is.face.url',
  },
  'group-info-changed-basic': {
    CallbackCommand: 'Group.CallbackAfterGroupInfoChanged',
    GroupId: '@TGS#2J4SZEAEL',
    Type: 'Public',
    Operator_Account: 'leckie',
    Notification: 'NewNotification',
  },
  'group-info-changed-custom': {
    CallbackCommand: 'Group.CallbackAfterGroupInfoChanged',
    GroupId: '@TGS#2J4SZEAEL',
    Type: 'Public',
    Operator_Account: 'leckie',
    UserDefinedDataList: [{ Key: 'UserDefinedKey2', Value: 'UserDefinedValue2' }],
  },
  'group-info-changed-both': {
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
  },
};

function expectFail(answer: TestAnswer, status: number, errorCode: number, info: string | RegExp): void {
  expect(answer.status).toBe(status);
  expect(answer.json).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: errorCode });
  expect((answer.json as { ErrorInfo: string }).ErrorInfo).toMatch(info);
}

describe.each(ADAPTERS)('dispatch over $name', (adapter) => {
  const harnesses: Harness[] = [];

  async function serve(receiver: Receiver): Promise<Harness> {
    const harness = await adapter.start(receiver);
    harnesses.push(harness);
    return harness;
  }

  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((harness) => harness.close()));
  });

  it.each(Object.entries(SEED_REQUESTS) as Array<[SeedRequestName, string]>)(
    'hands the seed sample %s to its handler typed, with its raw body byte for byte',
    async (name, command) => {
      const { receiver, handled, seenByAny, errors } = createRecordingReceiver();
      const harness = await serve(receiver);
      const rawBody = readSeed(name);
      const path = signedPath({ CallbackCommand: command, OptPlatform: 'iOS' });
      const answer = await harness.send({ path, body: Buffer.from(rawBody, 'utf8') });

      // The answer is the seed's own sample response.
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual(readSeedJson('answer'));
      expect(errors).toEqual([]);
      expect(handled).toHaveLength(1);
      expect(seenByAny).toEqual(handled);
      const event = handled[0]!;
      expect(event.command).toBe(command);
      expect(event.body).toEqual(SEED_BODIES[name]);
      expect(event.rawBody).toBe(rawBody);
      expect(event.sdkAppId).toBe(APP_ID);
      expect(event.receivedAt).toBe(NOW_MS);
      expect(event.query).toEqual({
        SdkAppid: APP_ID,
        CallbackCommand: command,
        contenttype: 'json',
        ClientIP: '203.0.113.7',
        OptPlatform: 'iOS',
        Sign: expect.stringMatching(/^[0-9a-f]{64}$/),
        RequestTime: String(NOW_S),
      });
    },
  );

  it('accepts the documented unsigned URL, with no Content-Type, when no token is configured', async () => {
    const { receiver, handled } = createRecordingReceiver({ tokens: [] });
    const harness = await serve(receiver);
    const answer = await harness.send({ path: callbackPath(), body: readSeed('group-info-changed-basic') });
    expect(answer.json).toEqual(OK);
    expect(handled).toHaveLength(1);
  });

  it('reads EventTime sent as a numeric string as milliseconds, and keeps unknown fields', async () => {
    const { receiver, handled } = createRecordingReceiver();
    const harness = await serve(receiver);
    const body = groupChangedBody({ EventTime: '1700000000123', NewField: { nested: true } });
    await harness.send({ path: signedPath({ OptPlatform: 'macOS' }), body });
    const event = handled[0]!;
    expect(event.body).toMatchObject({ EventTime: 1_700_000_000_123, NewField: { nested: true } });
    expect(event.query.OptPlatform).toBe('Mac');
  });

  it('passes an unknown command to onAny untyped and answers OK', async () => {
    const { receiver, handled, seenByAny, errors } = createRecordingReceiver();
    const harness = await serve(receiver);
    const command = 'Group.CallbackAfterSendMsg';
    const rawBody = JSON.stringify({ CallbackCommand: command, MsgBody: [{ MsgType: 'TIMTextElem' }] });
    const answer = await harness.send({ path: signedPath({ CallbackCommand: command }), body: rawBody });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual(OK);
    expect(handled).toEqual([]);
    expect(errors).toEqual([]);
    expect(seenByAny).toHaveLength(1);
    expect(seenByAny[0]).toMatchObject({ command, rawBody, body: JSON.parse(rawBody) });
  });

  it('accepts a Sign made with any of several tokens, for rotation', async () => {
    const { receiver, handled, errors } = createRecordingReceiver({ tokens: ['old-token', 'new-token'] });
    const harness = await serve(receiver);
    const body = groupChangedBody();
    expect((await harness.send({ path: signedPath({}, 'old-token'), body })).json).toEqual(OK);
    expect((await harness.send({ path: signedPath({}, 'new-token'), body })).json).toEqual(OK);
    expectFail(await harness.send({ path: signedPath({}, TOKEN), body }), 401, 40102, /does not match/);
    expect(handled).toHaveLength(2);
    expect(errors.map((error) => error.code)).toEqual(['SignMismatch']);
  });

  it('answers 500 FAIL when a handler throws, and tells onError with the event and the cause', async () => {
    const { receiver, errors } = createRecordingReceiver();
    const boom = new Error('database is down');
    const seen: Array<AnyEvent | null> = [];
    receiver.on(GROUP_CHANGED, () => {
      throw boom;
    });
    receiver.onError((_error, event) => seen.push(event));
    const harness = await serve(receiver);
    const answer = await harness.send({ path: signedPath(), body: groupChangedBody() });
    expectFail(answer, 500, 50001, 'a handler failed while processing the callback');
    expect((answer.json as { ErrorInfo: string }).ErrorInfo).not.toContain('database is down');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'HandlerFailed', status: 500, errorCode: 50001, cause: boom });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ command: GROUP_CHANGED, body: { Name: 'NewGroupName' } });
  });

  it('answers 500 FAIL when an async handler rejects, after every handler has settled', async () => {
    const { receiver, errors, handled } = createRecordingReceiver();
    const settled: string[] = [];
    receiver.on(GROUP_CHANGED, async () => {
      await Promise.resolve();
      settled.push('rejecting');
      throw new Error('late failure');
    });
    receiver.onAny(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      settled.push('slow handler done');
    });
    const harness = await serve(receiver);
    const answer = await harness.send({ path: signedPath(), body: groupChangedBody() });
    expectFail(answer, 500, 50001, /a handler failed/);
    expect(settled.sort()).toEqual(['rejecting', 'slow handler done']);
    expect(handled).toHaveLength(1);
    expect(errors.map((error) => error.code)).toEqual(['HandlerFailed']);
  });

  it('runs every handler even when the first one throws', async () => {
    const { receiver } = createRecordingReceiver();
    const ran: string[] = [];
    receiver.on(GROUP_CHANGED, () => {
      ran.push('first');
      throw new Error('first fails');
    });
    receiver.on(GROUP_CHANGED, () => {
      ran.push('second');
    });
    receiver.onAny(() => {
      ran.push('any');
    });
    const harness = await serve(receiver);
    await harness.send({ path: signedPath(), body: groupChangedBody() });
    expect(ran).toEqual(['first', 'second', 'any']);
  });

  it('logs an error thrown inside onError instead of rethrowing it, and keeps serving', async () => {
    const { receiver, errors, logged } = createRecordingReceiver();
    const fromOnError = new Error('onError itself broke');
    receiver.onError(() => {
      throw fromOnError;
    });
    receiver.on(GROUP_CHANGED, () => {
      throw new Error('handler fails');
    });
    const harness = await serve(receiver);
    expectFail(await harness.send({ path: signedPath(), body: groupChangedBody() }), 500, 50001, /handler/);
    expect(errors).toHaveLength(1);
    expect(logged).toEqual([{ message: '[timhook] an onError handler threw', error: fromOnError }]);
    // A refusal goes through the same onError path.
    expectFail(await harness.send({ path: signedPath({ SdkAppid: '1' }) }), 403, 40301, /SDKAppID/);
    expect(logged).toHaveLength(2);
  });

  it('logs a failing handler when no onError handler is registered', async () => {
    const logged: unknown[] = [];
    const receiver = createReceiver({
      sdkAppId: APP_ID,
      log: (message, error) => logged.push([message, error]),
    });
    const boom = new Error('unheard');
    receiver.on(GROUP_CHANGED, () => {
      throw boom;
    });
    const harness = await serve(receiver);
    expectFail(await harness.send({ path: callbackPath(), body: groupChangedBody() }), 500, 50001, /handler/);
    expect(logged).toEqual([['[timhook] a callback handler failed', boom]]);
  });

  it.each([
    ['throws it', (): unknown => throwOverloaded()],
    [
      'rejects with it',
      async (): Promise<unknown> => {
        await Promise.resolve();
        return throwOverloaded();
      },
    ],
  ])(
    'answers 503 with a lone handler’s own message when it %s, and tells onError once',
    async (_, handler) => {
      const { receiver, errors } = createRecordingReceiver();
      receiver.on(GROUP_CHANGED, handler);
      const harness = await serve(receiver);
      const answer = await harness.send({ path: signedPath(), body: groupChangedBody() });
      expect(answer.status).toBe(503);
      expect(answer.json).toEqual({
        ActionStatus: 'FAIL',
        ErrorCode: 50301,
        ErrorInfo: 'the change log is busy; retry later',
      });
      expect(errors.map((error) => error.code)).toEqual(['Overloaded']);
    },
  );
});

function throwOverloaded(): never {
  throw new ReceiverError('Overloaded', 'the change log is busy; retry later');
}
