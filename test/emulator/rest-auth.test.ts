import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/emulator/index.js';
import {
  ADMIN,
  callRest,
  failure,
  officialSigApi,
  postJson,
  restQuery,
  SDK_APP_ID,
  SECRET_KEY,
  startEmulator,
} from './helpers.js';

const CREATE = 'group_open_http_svc/create_group';
const body = { Type: 'Public', Name: 'Ops' };

describe('the REST face: who may call', () => {
  it('accepts an app admin with a UserSig from the official generator', async () => {
    const emulator = await startEmulator();
    const answer = await callRest(emulator, CREATE, body);
    expect(answer).toEqual({
      ActionStatus: 'OK',
      ErrorInfo: '',
      ErrorCode: 0,
      GroupId: expect.stringMatching(/^@TGS#[A-Z0-9]+$/),
    });
  });

  it('answers HTTP 200 with 60012 when sdkappid is missing', async () => {
    const emulator = await startEmulator();
    expect(await callRest(emulator, CREATE, body, { sdkappid: null })).toEqual(
      failure(ErrorCodes.MissingSdkAppId),
    );
  });

  it('answers 60006 when sdkappid is another app’s', async () => {
    const emulator = await startEmulator();
    expect(await callRest(emulator, CREATE, body, { sdkappid: '1400000001' })).toEqual(
      failure(ErrorCodes.InvalidSdkAppId),
    );
    expect(await callRest(emulator, CREATE, body, { sdkappid: 'abc' })).toEqual(
      failure(ErrorCodes.InvalidSdkAppId),
    );
  });

  it('answers 60004 when identifier is missing and 60005 when usersig is missing', async () => {
    const emulator = await startEmulator();
    expect(await callRest(emulator, CREATE, body, { identifier: null })).toEqual(
      failure(ErrorCodes.BadAccount),
    );
    expect(await callRest(emulator, CREATE, body, { usersig: null })).toEqual(failure(ErrorCodes.BadSig));
  });

  it('answers 70001 for an expired UserSig', async () => {
    let now = Date.now();
    const emulator = await startEmulator({ now: () => now });
    const usersig = officialSigApi(SDK_APP_ID, SECRET_KEY).genUserSig(ADMIN, 30);
    now += 31_000 + 1000;
    expect(await callRest(emulator, CREATE, body, { usersig })).toEqual(failure(ErrorCodes.UserSigExpired));
  });

  it('answers 70001 when a UserSig that worked before expires', async () => {
    let now = Date.now();
    const emulator = await startEmulator({ now: () => now });
    const usersig = officialSigApi(SDK_APP_ID, SECRET_KEY).genUserSig(ADMIN, 30);
    expect(await callRest(emulator, CREATE, body, { usersig })).toMatchObject({ ActionStatus: 'OK' });
    now += 31_000 + 1000;
    expect(await callRest(emulator, CREATE, body, { usersig })).toEqual(failure(ErrorCodes.UserSigExpired));
  });

  it('answers 70003 for a UserSig that cannot be decoded', async () => {
    const emulator = await startEmulator();
    expect(await callRest(emulator, CREATE, body, { usersig: 'garbage' })).toEqual(
      failure(ErrorCodes.UserSigInvalid),
    );
  });

  it('answers 70009 for a UserSig made with another key', async () => {
    const emulator = await startEmulator();
    const usersig = officialSigApi(SDK_APP_ID, 'not-the-key').genUserSig(ADMIN, 86_400);
    expect(await callRest(emulator, CREATE, body, { usersig })).toEqual(failure(ErrorCodes.UserSigWrongKey));
  });

  it('answers 70013 for a UserSig made for another identifier', async () => {
    const emulator = await startEmulator();
    const usersig = officialSigApi(SDK_APP_ID, SECRET_KEY).genUserSig('someone_else', 86_400);
    expect(await callRest(emulator, CREATE, body, { usersig })).toEqual(
      failure(ErrorCodes.UserSigIdentifierMismatch),
    );
  });

  it('answers 70014 for a UserSig made for another app', async () => {
    const emulator = await startEmulator();
    const usersig = officialSigApi(1400000001, SECRET_KEY).genUserSig(ADMIN, 86_400);
    expect(await callRest(emulator, CREATE, body, { usersig })).toEqual(
      failure(ErrorCodes.UserSigSdkAppIdMismatch),
    );
  });

  it('answers 60010 when a valid identifier is not an app admin', async () => {
    const emulator = await startEmulator();
    expect(await callRest(emulator, CREATE, body, {}, 'alice')).toEqual(failure(ErrorCodes.NotAdmin));
  });

  it('accepts every admin set in the console', async () => {
    const emulator = await startEmulator({ admins: ['administrator', 'ops_bot'] });
    expect(await callRest(emulator, CREATE, body, {}, 'ops_bot')).toMatchObject({ ActionStatus: 'OK' });
  });

  it('answers 10003 for an unknown service or command', async () => {
    const emulator = await startEmulator();
    expect(await callRest(emulator, 'group_open_http_svc/fly_to_the_moon', body)).toEqual(
      failure(ErrorCodes.InvalidCommand),
    );
    expect(await callRest(emulator, 'openim/sendmsg', body)).toEqual(failure(ErrorCodes.InvalidCommand));
  });

  it('answers 60003 for a body that is not a JSON object', async () => {
    const emulator = await startEmulator();
    for (const raw of ['{"Type":', '[1,2]', '"text"', '']) {
      expect(await callRest(emulator, CREATE, raw)).toEqual(failure(ErrorCodes.JsonParse));
    }
  });

  it('answers 60003 for a body over the size limit, and stays up', async () => {
    const emulator = await startEmulator({ maxBodyBytes: 1024 });
    const big = JSON.stringify({ ...body, Introduction: 'x'.repeat(2000) });
    expect(await callRest(emulator, CREATE, big)).toEqual(failure(ErrorCodes.JsonParse));
    expect(await callRest(emulator, CREATE, body)).toMatchObject({ ActionStatus: 'OK' });
  });

  it('answers 60002 to a request that is not a POST, still with HTTP 200', async () => {
    const emulator = await startEmulator();
    const { status, json } = await postJson(`${emulator.url}/v4/${CREATE}?${restQuery()}`, null, 'GET');
    expect(status).toBe(200);
    expect(json).toEqual(failure(ErrorCodes.HttpParse));
  });

  it('checks the caller before the command, as a gateway does', async () => {
    const emulator = await startEmulator();
    expect(await callRest(emulator, 'nope/nope', body, { usersig: 'garbage' })).toEqual(
      failure(ErrorCodes.UserSigInvalid),
    );
  });
});
