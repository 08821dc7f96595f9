import { describe, expect, it } from 'vitest';
import { computeSign } from '../../src/protocol/index.js';
import { createReceiver, type ReceiverOptions } from '../../src/receiver/index.js';
import {
  APP_ID,
  createRecordingReceiver,
  GROUP_CHANGED,
  groupChangedBody,
  NOW_MS,
  NOW_S,
  signedPath,
  TOKEN,
} from './support/callbacks.js';

const query = (path: string) => path.slice(path.indexOf('?') + 1);

describe('createReceiver', () => {
  it('fills in a documented default for every option', () => {
    const receiver = createReceiver({ sdkAppId: 1400000000 });
    expect(receiver.options).toMatchObject({
      sdkAppId: '1400000000',
      tokens: [],
      maxSkewSeconds: 60,
      maxBodyBytes: 65_536,
    });
    expect(receiver.options.now).toBe(Date.now);
  });

  it.each([
    ['no sdkAppId', {}, /needs `sdkAppId`/],
    ['an empty sdkAppId', { sdkAppId: ' ' }, /needs `sdkAppId`/],
    ['an empty token', { sdkAppId: 1, tokens: [''] }, /`tokens` must be an array of non-empty strings/],
    ['tokens that are not an array', { sdkAppId: 1, tokens: 'secret' }, /`tokens` must be an array/],
    ['a zero skew window', { sdkAppId: 1, maxSkewSeconds: 0 }, /`maxSkewSeconds` must be a positive/],
    [
      'a fractional body limit',
      { sdkAppId: 1, maxBodyBytes: 1.5 },
      /`maxBodyBytes` must be a positive whole/,
    ],
  ])('throws a [timhook] TypeError for %s', (_title, options, message) => {
    expect(() => createReceiver(options as unknown as ReceiverOptions)).toThrow(TypeError);
    expect(() => createReceiver(options as unknown as ReceiverOptions)).toThrow(message);
    expect(() => createReceiver(options as unknown as ReceiverOptions)).toThrow(/^\[timhook\] /);
  });

  it('never puts a token in a construction error', () => {
    expect(() => createReceiver({ sdkAppId: 1, tokens: ['s3cret', ''] })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('s3cret') }),
    );
  });
});

describe('receive, on plain data', () => {
  it('accepts a query string and a raw body and gives the answer to send', async () => {
    const { receiver, handled } = createRecordingReceiver();
    const result = await receiver.receive({ query: query(signedPath()), rawBody: groupChangedBody() });
    expect(result).toMatchObject({ status: 200, body: '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}' });
    expect(handled[0]?.command).toBe(GROUP_CHANGED);
  });

  it('counts the body limit in UTF-8 bytes, not characters', async () => {
    const { receiver } = createRecordingReceiver({ maxBodyBytes: 200 });
    // 60 CJK characters are 180 bytes: the body is over 200 bytes but under 200 characters.
    const rawBody = JSON.stringify({ CallbackCommand: GROUP_CHANGED, GroupId: 'g', Name: '群'.repeat(60) });
    expect(rawBody.length).toBeLessThan(200);
    const result = await receiver.receive({ query: query(signedPath()), rawBody });
    expect(result).toMatchObject({ status: 413, answer: { ErrorCode: 41301 } });
  });

  it('honours a wider maxSkewSeconds', async () => {
    const { receiver } = createRecordingReceiver({ maxSkewSeconds: 300 });
    const old = String(NOW_S - 299);
    const result = await receiver.receive({
      query: query(signedPath({}, TOKEN, old)),
      rawBody: groupChangedBody(),
    });
    expect(result.status).toBe(200);
  });

  it('accepts a Sign in upper-case hex', async () => {
    const receiver = createReceiver({ sdkAppId: APP_ID, tokens: [TOKEN], now: () => NOW_MS });
    const sign = computeSign(TOKEN, NOW_S).toUpperCase();
    const result = await receiver.receive({
      query: query(signedPath({ Sign: sign })),
      rawBody: groupChangedBody(),
    });
    expect(result.status).toBe(200);
  });
});

describe('fetch, on a body stream that fails', () => {
  it('answers 500 in the envelope and logs the cause instead of rejecting', async () => {
    const { receiver, handled, logged } = createRecordingReceiver();
    const broken = new Error('connection reset');
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(broken);
      },
    });
    const request = new Request(`http://localhost${signedPath()}`, {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit);
    const response = await receiver.fetch(request);
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 50001 });
    expect(handled).toEqual([]);
    expect(logged).toEqual([{ message: '[timhook] unexpected error in the fetch handler', error: broken }]);
  });
});
