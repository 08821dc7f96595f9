import { describe, expect, it } from 'vitest';
import { createDefaultConfig } from '../../src/emulator/config.js';
import { createRateLimiter } from '../../src/emulator/rate-limits.js';
import { createSeededRandom } from '../../src/emulator/seeded-random.js';
import { runCommand } from '../../src/emulator/core.js';
import { createDeliveryLog } from '../../src/emulator/delivery-log.js';
import { createEmulator, DEFAULT_SECRET_KEY, ErrorCodes, verifyUserSig } from '../../src/emulator/index.js';
import { createState } from '../../src/emulator/state.js';
import { createUserSigVerifier } from '../../src/emulator/user-sig.js';
import { onCleanup, startEmulator } from './helpers.js';

describe('createEmulator', () => {
  it('listens on a random loopback port by default and says where', async () => {
    const emulator = createEmulator();
    onCleanup(() => emulator.stop());
    const url = await emulator.start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emulator.url).toBe(url);
    expect(await emulator.start()).toBe(url);
    const index = await (await fetch(`${url}/`)).json();
    expect(index).toMatchObject({ name: 'timhook emulator', sdkAppId: '1400000000' });
  });

  it('runs two emulators side by side on different ports', async () => {
    const a = await startEmulator();
    const b = await startEmulator();
    expect(a.url).not.toBe(b.url);
  });

  it('throws a [timhook] TypeError when the url is read before start, and after stop it cannot start again', async () => {
    const emulator = createEmulator();
    expect(() => emulator.url).toThrow(/\[timhook\].*start/);
    await emulator.start();
    await emulator.stop();
    await emulator.stop();
    await expect(emulator.start()).rejects.toThrow(/\[timhook\]/);
  });

  it('closes its port on stop', async () => {
    const emulator = await startEmulator();
    const url = emulator.url;
    await emulator.stop();
    await expect(fetch(`${url}/`)).rejects.toThrow();
  });

  it('refuses bad options at construction with a [timhook] TypeError', () => {
    expect(() => createEmulator({ sdkAppId: 'abc' })).toThrow(/\[timhook\].*sdkAppId/);
    expect(() => createEmulator({ port: 70000 })).toThrow(/\[timhook\].*port/);
    expect(() => createEmulator({ secretKey: '' })).toThrow(/\[timhook\].*secretKey/);
    expect(() => createEmulator({ callbackUrl: 'not a url' })).toThrow(/\[timhook\].*callbackUrl/);
    expect(() => createEmulator({ admins: [] })).toThrow(/\[timhook\].*admins/);
    // @ts-expect-error an unknown option is refused, not ignored
    expect(() => createEmulator({ callbackURL: 'http://x' })).toThrow(/\[timhook\]/);
  });

  it('uses the public default secret key when none is given, and makes UserSigs with it', async () => {
    const emulator = createEmulator();
    onCleanup(() => emulator.stop());
    await emulator.start();
    const sig = emulator.userSig();
    expect(
      verifyUserSig(sig, {
        sdkAppId: '1400000000',
        identifier: 'administrator',
        secretKey: DEFAULT_SECRET_KEY,
        nowMs: Date.now(),
      }).ok,
    ).toBe(true);
    expect(
      await emulator.rest('group_open_http_svc/create_group', { Type: 'Public', Name: 'x' }),
    ).toMatchObject({
      ActionStatus: 'OK',
    });
  });

  it('offers rest() and restUrl() as a signed client for the app admin or another identifier', async () => {
    const emulator = await startEmulator({ admins: ['administrator', 'bot'] });
    const url = new URL(emulator.restUrl('group_open_http_svc/get_group_info', 'bot'));
    expect(url.pathname).toBe('/v4/group_open_http_svc/get_group_info');
    expect([...url.searchParams.keys()]).toEqual([
      'sdkappid',
      'identifier',
      'usersig',
      'random',
      'contenttype',
    ]);
    expect(
      await emulator.rest(
        'group_open_http_svc/get_group_info',
        { GroupIdList: ['@TGS#X'] },
        { identifier: 'bot' },
      ),
    ).toMatchObject({
      ActionStatus: 'OK',
    });
    expect(
      await emulator.rest(
        'group_open_http_svc/get_group_info',
        { GroupIdList: ['x'] },
        { identifier: 'eve' },
      ),
    ).toMatchObject({
      ErrorCode: ErrorCodes.NotAdmin,
    });
  });

  it('turns an unexpected error in a command into 10002, logged, without echoing it', async () => {
    const errors: unknown[] = [];
    const core = {
      sdkAppId: '1400000000',
      secretKey: 'k',
      userSigs: createUserSigVerifier('1400000000', 'k'),
      state: createState(),
      config: createDefaultConfig(),
      now: Date.now,
      deliveries: createDeliveryLog(0, () => {}),
      dispatcher: null as never,
      maxBodyBytes: 1024,
      log: (_message: string, error: unknown) => errors.push(error),
      rateLimiter: createRateLimiter(),
      random: createSeededRandom(1),
    };
    const origin = { via: 'rest', operator: 'a', optPlatform: 'RESTAPI', clientIp: '127.0.0.1' } as const;
    const answer = runCommand(
      core,
      () => {
        throw new Error('secret detail');
      },
      origin,
      {},
    );
    expect(answer).toEqual({
      ActionStatus: 'FAIL',
      ErrorCode: ErrorCodes.Internal,
      ErrorInfo: 'internal error',
    });
    expect(errors).toEqual([new Error('secret detail')]);
  });
});
