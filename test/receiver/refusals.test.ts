import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RefusalCode } from '../../src/receiver/index.js';
import { ADAPTERS, type Harness } from './support/adapters.js';
import {
  APP_ID,
  callbackPath,
  createRecordingReceiver,
  GROUP_CHANGED,
  groupChangedBody,
  NOW_S,
  type RecordingReceiver,
  signedPath,
  TOKEN,
  TOPIC_CHANGED,
} from './support/callbacks.js';
import { CHUNK, type TestAnswer, type TestRequest } from './support/http-client.js';

/** One refusal of the receiver: what is sent, and the answer it must get. */
interface RefusalCase {
  title: string;
  request: TestRequest;
  status: number;
  errorCode: number;
  code: RefusalCode;
  info: RegExp;
}

const body = groupChangedBody();
const TOPIC_DESTROYED = 'Group.CallbackAfterTopicDestroyed';
const bytes = (text: string) => new TextEncoder().encode(text);
const invalidUtf8 = new Uint8Array([
  ...bytes('{"GroupId":"@TGS#1","Name":"'),
  0xc3,
  0x28,
  0xff,
  ...bytes('"}'),
]);

const CASES: RefusalCase[] = [
  {
    title: 'a wrong SdkAppid is refused with 403 before the body is read',
    request: { path: signedPath({ SdkAppid: '1400000001' }), body },
    status: 403,
    errorCode: 40301,
    code: 'SdkAppidMismatch',
    info: /SdkAppid "1400000001" is not this app's SDKAppID/,
  },
  {
    title: 'a missing SdkAppid is refused with 400',
    request: { path: signedPath({ SdkAppid: undefined }), body },
    status: 400,
    errorCode: 40001,
    code: 'MissingSdkAppid',
    info: /SdkAppid is missing/,
  },
  {
    title: 'an SdkAppid spelled in the wrong case counts as missing (names are case-sensitive)',
    request: { path: `${signedPath({ SdkAppid: undefined })}&sdkappid=${APP_ID}`, body },
    status: 400,
    errorCode: 40001,
    code: 'MissingSdkAppid',
    info: /SdkAppid is missing/,
  },
  {
    title: 'a missing Sign is refused with 401 when a token is configured',
    request: { path: signedPath({ Sign: undefined }), body },
    status: 401,
    errorCode: 40101,
    code: 'SignMissing',
    info: /Sign and RequestTime are required/,
  },
  {
    title: 'a missing RequestTime is refused with 401 when a token is configured',
    request: { path: signedPath({ RequestTime: undefined }), body },
    status: 401,
    errorCode: 40101,
    code: 'SignMissing',
    info: /Sign and RequestTime are required/,
  },
  {
    title: 'an unsigned URL is refused with 401 when a token is configured',
    request: { path: callbackPath(), body },
    status: 401,
    errorCode: 40101,
    code: 'SignMissing',
    info: /Sign and RequestTime are required/,
  },
  {
    title: 'a Sign made with another token is refused with 401',
    request: { path: signedPath({}, 'not-the-token'), body },
    status: 401,
    errorCode: 40102,
    code: 'SignMismatch',
    info: /Sign does not match any configured token/,
  },
  {
    title: 'a Sign that does not cover the RequestTime sent is refused with 401',
    request: { path: signedPath({ RequestTime: String(NOW_S - 1) }), body },
    status: 401,
    errorCode: 40102,
    code: 'SignMismatch',
    info: /Sign does not match/,
  },
  {
    title: 'a RequestTime 61 s old is refused with 401',
    request: { path: signedPath({}, TOKEN, String(NOW_S - 61)), body },
    status: 401,
    errorCode: 40103,
    code: 'StaleRequest',
    info: /RequestTime is 61 s old; accepted window is ±60 s/,
  },
  {
    title: 'a RequestTime 61 s in the future is refused with 401',
    request: { path: signedPath({}, TOKEN, String(NOW_S + 61)), body },
    status: 401,
    errorCode: 40103,
    code: 'StaleRequest',
    info: /RequestTime is 61 s in the future/,
  },
  {
    title: 'a RequestTime that is not a number is refused with 400',
    request: { path: signedPath({}, TOKEN, 'yesterday'), body },
    status: 400,
    errorCode: 40002,
    code: 'BadRequestTime',
    info: /RequestTime must be whole Unix seconds/,
  },
  {
    title: 'a RequestTime in milliseconds with a fraction is refused with 400',
    request: { path: signedPath({}, TOKEN, `${NOW_S}.5`), body },
    status: 400,
    errorCode: 40002,
    code: 'BadRequestTime',
    info: /whole Unix seconds/,
  },
  {
    title: 'a body that is not JSON is refused with 400',
    request: { path: signedPath(), body: '{"CallbackCommand": "Group.CallbackAfterGroupInfoChanged",' },
    status: 400,
    errorCode: 40003,
    code: 'BodyNotJson',
    info: /body is not JSON/,
  },
  {
    title: 'an empty body is refused with 400',
    request: { path: signedPath(), body: '' },
    status: 400,
    errorCode: 40003,
    code: 'BodyNotJson',
    info: /body is not JSON/,
  },
  {
    title: 'a body that is not valid UTF-8 is refused with 400',
    request: { path: signedPath(), body: invalidUtf8 },
    status: 400,
    errorCode: 40003,
    code: 'BodyNotJson',
    info: /body is not valid UTF-8/,
  },
  ...(['[]', '[{"GroupId":"@TGS#1"}]', '42', 'null', '"text"', 'true'] as const).map((json): RefusalCase => ({
    title: `a JSON body that is not an object (${json}) is refused with 400`,
    request: { path: signedPath(), body: json },
    status: 400,
    errorCode: 40004,
    code: 'BodyNotObject',
    info: /body must be a JSON object/,
  })),
  {
    title: 'a CallbackCommand in the body that differs from the URL is refused with 400',
    request: { path: signedPath(), body: groupChangedBody({ CallbackCommand: TOPIC_CHANGED }) },
    status: 400,
    errorCode: 40006,
    code: 'CommandMismatch',
    info: new RegExp(`CallbackCommand differs: ${GROUP_CHANGED} in the URL, ${TOPIC_CHANGED} in the body`),
  },
  {
    title: 'a callback with no CallbackCommand in the URL or the body is refused with 400',
    request: { path: signedPath({ CallbackCommand: undefined }), body: '{"GroupId":"@TGS#1"}' },
    status: 400,
    errorCode: 40005,
    code: 'MissingCommand',
    info: /CallbackCommand is missing from the URL and the body/,
  },
  {
    title: 'a known command without GroupId is refused with 422',
    request: { path: signedPath(), body: groupChangedBody({ GroupId: undefined }) },
    status: 422,
    errorCode: 42201,
    code: 'SchemaViolation',
    info: /^Group\.CallbackAfterGroupInfoChanged: GroupId: /,
  },
  {
    title: 'a known command with an empty GroupId is refused with 422',
    request: { path: signedPath(), body: groupChangedBody({ GroupId: '' }) },
    status: 422,
    errorCode: 42201,
    code: 'SchemaViolation',
    info: /GroupId: GroupId must not be empty/,
  },
  {
    title: 'a known command whose Name is not a string is refused with 422',
    request: { path: signedPath(), body: groupChangedBody({ Name: 42 }) },
    status: 422,
    errorCode: 42201,
    code: 'SchemaViolation',
    info: /Name: .*string/,
  },
  {
    title: 'a known command whose custom fields are not a list is refused with 422',
    request: { path: signedPath(), body: groupChangedBody({ UserDefinedDataList: { Key: 'k' } }) },
    status: 422,
    errorCode: 42201,
    code: 'SchemaViolation',
    info: /UserDefinedDataList: /,
  },
  {
    title: 'a topic change whose Introduction is not a string is refused with 422',
    request: {
      path: signedPath({ CallbackCommand: TOPIC_CHANGED }),
      body: JSON.stringify({ CallbackCommand: TOPIC_CHANGED, GroupId: '@TGS#_1', Introduction: ['x'] }),
    },
    status: 422,
    errorCode: 42201,
    code: 'SchemaViolation',
    info: /^Group\.CallbackAfterTopicInfoChanged: Introduction: /,
  },
  ...(
    [
      [
        'a GroupId holding NUL',
        { GroupId: '@TGS#\u0000' },
        /GroupId: an id must not hold control character U\+0000 \(at index 5\)/,
      ],
      [
        'a GroupId holding a lone surrogate',
        { GroupId: '@TGS#\ud800' },
        /GroupId: text must not hold lone surrogate U\+D800 \(at index 5\)/,
      ],
      [
        'a 16 KB GroupId',
        { GroupId: `@TGS#${'x'.repeat(16_384)}` },
        /GroupId: an id is at most 128 UTF-8 bytes \(it has 16389\)$/,
      ],
      [
        'a GroupId of 129 bytes of CJK',
        { GroupId: `${'群'.repeat(43)}` },
        /GroupId: an id is at most 128 UTF-8 bytes \(it has 129\)$/,
      ],
      [
        'an Operator_Account holding a line break',
        { Operator_Account: 'leckie\n' },
        /Operator_Account: an id must not hold control character U\+000A/,
      ],
      [
        'an Operator_Account holding a C1 control',
        { Operator_Account: 'leckie\u0085' },
        /Operator_Account: an id must not hold control character U\+0085/,
      ],
      ['a Name holding NUL', { Name: 'a\u0000b' }, /Name: text must not hold U\+0000 \(at index 1\)/],
      [
        'a Type holding a lone surrogate',
        { Type: 'Public\udc00' },
        /Type: text must not hold lone surrogate U\+DC00/,
      ],
      [
        'a custom field key holding a lone surrogate',
        { UserDefinedDataList: [{ Key: 'k\ud83d', Value: 'v' }] },
        /UserDefinedDataList\.0\.Key: text must not hold lone surrogate U\+D83D/,
      ],
    ] as const
  ).map(([what, fields, info]): RefusalCase => ({
    title: `${what} is refused with 422 and names the field and the rule`,
    request: { path: signedPath(), body: groupChangedBody(fields) },
    status: 422,
    errorCode: 42201,
    code: 'SchemaViolation',
    info: new RegExp(`^${GROUP_CHANGED}: ${info.source}`),
  })),
  {
    title: 'a topic change whose TopicId breaks the id rules is refused with 422',
    request: {
      path: signedPath({ CallbackCommand: TOPIC_CHANGED }),
      body: JSON.stringify({
        CallbackCommand: TOPIC_CHANGED,
        GroupId: '@TGS#_1',
        TopicId: '@TGS#_1@TOPIC#_\u0001',
      }),
    },
    status: 422,
    errorCode: 42201,
    code: 'SchemaViolation',
    info: /^Group\.CallbackAfterTopicInfoChanged: TopicId: an id must not hold control character U\+0001/,
  },
  {
    title: 'a TopicIdList entry over 128 bytes is refused with 422',
    request: {
      path: signedPath({ CallbackCommand: TOPIC_DESTROYED }),
      body: JSON.stringify({
        CallbackCommand: TOPIC_DESTROYED,
        GroupId: '@TGS#_1',
        TopicIdList: ['@TGS#_1@TOPIC#_a', 'x'.repeat(200)],
      }),
    },
    status: 422,
    errorCode: 42201,
    code: 'SchemaViolation',
    info: /^Group\.CallbackAfterTopicDestroyed: TopicIdList\.1: an id is at most 128 UTF-8 bytes \(it has 200\)$/,
  },
  {
    title: 'a callback of a command the receiver does not type is held to the same id rules',
    request: {
      path: signedPath({ CallbackCommand: 'Group.CallbackAfterNewMemberJoin' }),
      body: JSON.stringify({ CallbackCommand: 'Group.CallbackAfterNewMemberJoin', GroupId: '@TGS#\u0000' }),
    },
    status: 422,
    errorCode: 42201,
    code: 'SchemaViolation',
    info: /^Group\.CallbackAfterNewMemberJoin: GroupId: an id must not hold control character U\+0000/,
  },
  {
    title: 'an OptPlatform holding NUL (%00) is refused with 422',
    request: { path: signedPath({ OptPlatform: 'Web\u0000' }), body },
    status: 422,
    errorCode: 42201,
    code: 'SchemaViolation',
    info: /^OptPlatform: text must not hold U\+0000 \(at index 3\)$/,
  },
  {
    title: 'a ClientIP holding NUL (%00) is refused with 422',
    request: { path: signedPath({ ClientIP: '\u0000' }), body },
    status: 422,
    errorCode: 42201,
    code: 'SchemaViolation',
    info: /^ClientIP: text must not hold U\+0000 \(at index 0\)$/,
  },
  ...(['GET', 'PUT', 'DELETE', 'PATCH'] as const).map((method): RefusalCase => ({
    title: `a ${method} request is refused with 405`,
    request: { method, path: signedPath(), ...(method === 'GET' ? {} : { body }) },
    status: 405,
    errorCode: 40501,
    code: 'MethodNotAllowed',
    info: new RegExp(`${method} is not allowed; callbacks are POST`),
  })),
  {
    title: 'a body over the size limit with its Content-Length is refused with 413',
    request: { path: signedPath(), body: groupChangedBody({ Introduction: 'x'.repeat(70_000) }) },
    status: 413,
    errorCode: 41301,
    code: 'BodyTooLarge',
    info: /body is over 65536 bytes/,
  },
];

function expectRefusal(answer: TestAnswer, status: number, errorCode: number, info: RegExp): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(answer.json).toEqual({ ActionStatus: 'FAIL', ErrorCode: errorCode, ErrorInfo: expect.any(String) });
  const { ErrorInfo } = answer.json as { ErrorInfo: string };
  expect(ErrorInfo).toMatch(info);
  expect(ErrorInfo).not.toContain(TOKEN);
}

describe.each(ADAPTERS)('refusals over $name', (adapter) => {
  let harness: Harness;
  let recording: RecordingReceiver;

  beforeEach(async () => {
    recording = createRecordingReceiver();
    harness = await adapter.start(recording.receiver);
  });

  afterEach(async () => {
    await harness.close();
  });

  function expectNothingHandled(code: RefusalCode): void {
    expect(recording.handled).toEqual([]);
    expect(recording.seenByAny).toEqual([]);
    expect(recording.errors.map((error) => error.code)).toEqual([code]);
  }

  it('accepts the valid signed callback every refusal below is a variation of', async () => {
    const answer = await harness.send({ path: signedPath(), body });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });
    expect(recording.handled).toHaveLength(1);
    expect(recording.errors).toEqual([]);
  });

  it.each(CASES)('$title', async ({ request, status, errorCode, code, info }) => {
    const answer = await harness.send(request);
    expectRefusal(answer, status, errorCode, info);
    if (status === 405) expect(answer.headers.allow).toBe('POST');
    expectNothingHandled(code);
  });

  it('accepts an id of exactly 128 UTF-8 bytes and custom field values holding anything', async () => {
    const groupId = `@TGS#👍🏽e\u0301 /%?#${'群'.repeat(35)}xx`;
    expect(new TextEncoder().encode(groupId).length).toBe(128);
    const fields = { GroupId: groupId, UserDefinedDataList: [{ Key: 'blob', Value: 'a\u0000\ud800\u0001' }] };
    const answer = await harness.send({ path: signedPath(), body: groupChangedBody(fields) });
    expect(answer.json).toEqual({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });
    expect(recording.handled).toHaveLength(1);
    expect(recording.handled[0]?.body).toMatchObject(fields);
  });

  it('closes the connection behind a 413 and keeps serving new ones', async () => {
    const answer = await harness.send({ path: signedPath(), body: 'x'.repeat(70_000) });
    expectRefusal(answer, 413, 41301, /over 65536 bytes/);
    expect(answer.headers.connection).toBe('close');
    const next = await harness.send({ path: signedPath(), body });
    expect(next.status).toBe(200);
    expect(recording.handled).toHaveLength(1);
  });

  it('refuses a declared Content-Length over the limit before any of the body arrives', async () => {
    const { answer } = await harness.sendEndless({
      path: signedPath(),
      headers: { 'content-length': String(10 * 1024 * 1024) },
      limit: 0,
    });
    expectRefusal(answer, 413, 41301, /over 65536 bytes/);
    expectNothingHandled('BodyTooLarge');
  });

  it('refuses a chunked body with no Content-Length as soon as it passes the limit', async () => {
    // Two chunks of 64 KiB pass the 64 KiB limit; the body never ends, so only an early answer comes.
    const { answer } = await harness.sendEndless({ path: signedPath(), limit: 2 * CHUNK.byteLength });
    expectRefusal(answer, 413, 41301, /over 65536 bytes/);
    expectNothingHandled('BodyTooLarge');
  });

  it('answers a 10 MiB streamed body with 413 without reading it all, and stays up', async () => {
    const { answer, bytesOffered } = await harness.sendEndless({ path: signedPath() });
    expectRefusal(answer, 413, 41301, /over 65536 bytes/);
    expect(bytesOffered).toBeLessThan(10 * 1024 * 1024);
    expectNothingHandled('BodyTooLarge');
    const next = await harness.send({ path: signedPath(), body });
    expect(next.status).toBe(200);
  });

  it('refuses a bad URL without waiting for a body that never ends', async () => {
    const { answer } = await harness.sendEndless({ path: signedPath({ SdkAppid: '1' }) });
    expectRefusal(answer, 403, 40301, /not this app's SDKAppID/);
    expectNothingHandled('SdkAppidMismatch');
  });
});
