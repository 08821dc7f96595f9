import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEmulator, verifyUserSig } from '../../src/emulator/index.js';
import { createUserSigCache, generateUserSig, userSigHmac } from '../../src/rest/index.js';
import { ADMIN, onCleanup, restClientFor, SDK_APP_ID, SECRET_KEY } from './helpers.js';

const require = createRequire(import.meta.url);
/** The official generator (npm `tls-sig-api-v2`); it reads the clock with `Date.now()`. */
const { Api } = require('tls-sig-api-v2') as {
  Api: new (sdkAppId: number, key: string) => { genUserSig(userId: string, expire: number): string };
};

function decode(sig: string): Record<string, unknown> {
  const base64 = sig.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');
  return JSON.parse(inflateSync(Buffer.from(base64, 'base64')).toString('utf8')) as Record<string, unknown>;
}

afterEach(() => {
  vi.useRealTimers();
});

// Made by the official tls-sig-api-v2 1.0.2 with its clock at the given time (`Date.now` fixed).
const OFFICIAL_VECTORS = [
  {
    nowMs: 1_700_000_000_000,
    identifier: 'administrator',
    expire: 86_400,
    hmac: 'yLAe+w7WUeUuqbV9h/TX78u21oTGi+i9Zp1u3PpnY60=',
    sig: 'eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwokpuZl5mcUlRYkl*UVQBcUp2YkFBZkpSlaGJgZQAJEpycxNVbIyNEcVTa0oyCxKVbKyMDOBCRVnpitZKVX6OKZql5uHh6aGlhYmhVlm6IdEmFuUGhnmh7hnamdaRhUYlhoHFORFmhnYKtUCAK0SM5I_',
  },
  {
    nowMs: 1_765_000_000_123,
    identifier: 'xiaojun',
    expire: 86_400 * 180,
    hmac: '6QjWtiC022sAtClgXV58OO3oHcDkDnxQ3GQzmKYqPog=',
    sig: 'eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwhWZiflZpXlQqeKU7MSCgswUJStDEwMogMiUZOamKlkZmpuZIoumVhRkFoHETU1NjeCixZnpSlZKZoFZ4SWZzgZGRsWOJc456RFhphb*-sb5Hsku2S55FYHG7oFVud6RhQH56bZKtQCXUTIm',
  },
];

describe('generateUserSig', () => {
  it('makes the official generator’s published-algorithm values for fixed inputs and clock', () => {
    for (const vector of OFFICIAL_VECTORS) {
      const ours = generateUserSig({
        sdkAppId: SDK_APP_ID,
        secretKey: SECRET_KEY,
        identifier: vector.identifier,
        expireSeconds: vector.expire,
        nowMs: vector.nowMs,
      });
      expect(decode(ours)).toEqual({
        'TLS.ver': '2.0',
        'TLS.identifier': vector.identifier,
        'TLS.sdkappid': SDK_APP_ID,
        'TLS.time': Math.floor(vector.nowMs / 1000),
        'TLS.expire': vector.expire,
        'TLS.sig': vector.hmac,
      });
      expect(ours).toBe(vector.sig);
    }
  });

  it('makes the same sig as the official generator run now with the same clock', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    for (const [nowMs, identifier, expire] of [
      [1_600_000_000_999, 'administrator', 86_400],
      [Date.UTC(2030, 0, 1), 'ops_admin-1', 3600],
      [Date.UTC(2026, 11, 5, 13, 0, 0, 500), 'a', 86_400 * 365],
    ] as const) {
      vi.setSystemTime(nowMs);
      const official = new Api(SDK_APP_ID, SECRET_KEY).genUserSig(identifier, expire);
      const ours = generateUserSig({
        sdkAppId: String(SDK_APP_ID),
        secretKey: SECRET_KEY,
        identifier,
        expireSeconds: expire,
        nowMs,
      });
      expect(ours).toBe(official);
    }
  });

  it('signs the documented string: one TLS.<name>:<value> line per field, userbuf last', () => {
    const fields = { identifier: 'administrator', sdkAppId: SDK_APP_ID, time: 1_700_000_000, expire: 86_400 };
    expect(userSigHmac(fields, SECRET_KEY)).toBe(OFFICIAL_VECTORS[0]!.hmac);
    expect(userSigHmac({ ...fields, userbuf: 'AAAA' }, SECRET_KEY)).not.toBe(OFFICIAL_VECTORS[0]!.hmac);
  });

  it('makes sigs the emulator’s checker accepts, and a sig made with another key it refuses', () => {
    const nowMs = Date.now();
    const expectation = { sdkAppId: String(SDK_APP_ID), identifier: ADMIN, secretKey: SECRET_KEY, nowMs };
    const good = generateUserSig({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, identifier: ADMIN, nowMs });
    expect(verifyUserSig(good, expectation)).toEqual({ ok: true, expiresAtMs: expect.any(Number) });
    const bad = generateUserSig({ sdkAppId: SDK_APP_ID, secretKey: 'another key', identifier: ADMIN, nowMs });
    expect(verifyUserSig(bad, expectation)).toMatchObject({ ok: false, code: 70009 });
  });
});

describe('createUserSigCache', () => {
  it('reuses one sig until less than a tenth of its lifetime is left, then makes a new one', () => {
    let nowMs = 1_700_000_000_000;
    const cache = createUserSigCache({
      sdkAppId: SDK_APP_ID,
      secretKey: SECRET_KEY,
      identifier: ADMIN,
      lifetimeSeconds: 1000,
      now: () => nowMs,
    });
    const first = cache.get();
    expect(decode(first)).toMatchObject({ 'TLS.time': 1_700_000_000, 'TLS.expire': 1000 });
    nowMs += 899_999; // 90% of the lifetime, less 1 ms, has passed: 10% and 1 ms are left
    expect(cache.get()).toBe(first);
    nowMs += 1; // exactly 10% left
    const second = cache.get();
    expect(second).not.toBe(first);
    expect(decode(second)).toMatchObject({ 'TLS.time': 1_700_000_900, 'TLS.expire': 1000 });
    expect(cache.get()).toBe(second);
    cache.reset();
    nowMs += 1000;
    expect(cache.get()).not.toBe(second);
  });

  it('refuses a lifetime that is not a positive whole number of seconds', () => {
    for (const lifetimeSeconds of [0, -5, 1.5, Number.NaN]) {
      expect(() =>
        createUserSigCache({
          sdkAppId: SDK_APP_ID,
          secretKey: SECRET_KEY,
          identifier: ADMIN,
          lifetimeSeconds,
        }),
      ).toThrow(/\[timhook\] `lifetimeSeconds`/);
    }
  });
});

describe('the client’s UserSig against the emulator', () => {
  it('is accepted by the emulator’s REST API', async () => {
    const emulator = createEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
    onCleanup(() => emulator.stop());
    await emulator.start();
    const client = restClientFor(emulator.url);
    const created = await client.call('group_open_http_svc/create_group', { Type: 'Public', Name: 'Ops' });
    expect(created).toMatchObject({ ActionStatus: 'OK', GroupId: expect.any(String) });
    const [group] = await client.getGroupInfo([created.GroupId as string]);
    expect(group).toMatchObject({ found: true, profile: { Name: 'Ops' } });
  });
});
