import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, generateUserSig, verifyUserSig } from '../../src/emulator/index.js';
import { createUserSigVerifier } from '../../src/emulator/user-sig.js';
import { officialSigApi, SDK_APP_ID, SECRET_KEY } from './helpers.js';

const expectation = (identifier = 'administrator', nowMs = Date.now()) => ({
  sdkAppId: String(SDK_APP_ID),
  identifier,
  secretKey: SECRET_KEY,
  nowMs,
});

/** The JSON document inside a UserSig, to tamper with. */
function decode(sig: string): Record<string, unknown> {
  const base64 = sig.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');
  return JSON.parse(inflateSync(Buffer.from(base64, 'base64')).toString('utf8')) as Record<string, unknown>;
}

function encode(doc: Record<string, unknown>): string {
  return deflateSync(Buffer.from(JSON.stringify(doc)))
    .toString('base64')
    .replace(/\+/g, '*')
    .replace(/\//g, '-')
    .replace(/=/g, '_');
}

describe('verifyUserSig', () => {
  it('accepts a UserSig made by the official tls-sig-api-v2 generator', () => {
    const sig = officialSigApi(SDK_APP_ID, SECRET_KEY).genUserSig('administrator', 86_400);
    const check = verifyUserSig(sig, expectation());
    expect(check.ok).toBe(true);
  });

  it('accepts an official sig that carries a userbuf, with the userbuf line signed', () => {
    const sig = officialSigApi(SDK_APP_ID, SECRET_KEY).genPrivateMapKey('administrator', 3600, 10000, 255);
    expect(decode(sig)['TLS.userbuf']).toEqual(expect.any(String));
    expect(verifyUserSig(sig, expectation()).ok).toBe(true);
  });

  it('accepts what generateUserSig makes, and generateUserSig makes the official document', () => {
    const nowMs = Date.now();
    const ours = generateUserSig({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, identifier: 'bob', nowMs });
    const official = officialSigApi(SDK_APP_ID, SECRET_KEY).genUserSig('bob', 86_400);
    const officialDoc = decode(official);
    // Same fields, same signature whenever both were made in the same second.
    expect(Object.keys(decode(ours))).toEqual(Object.keys(officialDoc));
    if (officialDoc['TLS.time'] === Math.floor(nowMs / 1000)) expect(ours).toBe(official);
    expect(verifyUserSig(ours, expectation('bob', nowMs)).ok).toBe(true);
  });

  it('refuses an expired sig with 70001', () => {
    const sig = officialSigApi(SDK_APP_ID, SECRET_KEY).genUserSig('administrator', 60);
    const check = verifyUserSig(sig, expectation('administrator', Date.now() + 61_000 + 1000));
    expect(check).toEqual({ ok: false, code: ErrorCodes.UserSigExpired, reason: expect.any(String) });
  });

  it('refuses a sig that is not in the TLSSigAPIv2 encoding with 70003', () => {
    for (const sig of [
      'not a sig!',
      'abc',
      encode({ hello: 'world' }).slice(0, 20),
      'eJyrVkrOz0vOz0lVslIqSsxT0lEqS8wpTQUAVOkHrA__',
    ]) {
      expect(verifyUserSig(sig, expectation())).toMatchObject({ ok: false, code: ErrorCodes.UserSigInvalid });
    }
  });

  it('refuses a document with a missing or mistyped TLS field with 70003', () => {
    const doc = decode(officialSigApi(SDK_APP_ID, SECRET_KEY).genUserSig('administrator', 86_400));
    for (const change of [{ 'TLS.sig': undefined }, { 'TLS.expire': '86400' }, { 'TLS.ver': '1.0' }]) {
      const sig = encode({ ...doc, ...change });
      expect(verifyUserSig(sig, expectation())).toMatchObject({ ok: false, code: ErrorCodes.UserSigInvalid });
    }
  });

  it('refuses a sig made with another secret key with 70009', () => {
    const sig = officialSigApi(SDK_APP_ID, 'another-key').genUserSig('administrator', 86_400);
    expect(verifyUserSig(sig, expectation())).toMatchObject({ ok: false, code: ErrorCodes.UserSigWrongKey });
  });

  it('refuses a tampered sig (a longer expiry, not re-signed) with 70009', () => {
    const doc = decode(officialSigApi(SDK_APP_ID, SECRET_KEY).genUserSig('administrator', 60));
    const sig = encode({ ...doc, 'TLS.expire': 86_400 * 365 });
    expect(verifyUserSig(sig, expectation())).toMatchObject({ ok: false, code: ErrorCodes.UserSigWrongKey });
  });

  it('refuses a sig made for another identifier with 70013', () => {
    const sig = officialSigApi(SDK_APP_ID, SECRET_KEY).genUserSig('mallory', 86_400);
    expect(verifyUserSig(sig, expectation('administrator'))).toMatchObject({
      ok: false,
      code: ErrorCodes.UserSigIdentifierMismatch,
    });
  });

  it('refuses a sig made for another app with 70014', () => {
    const sig = officialSigApi(1400000001, SECRET_KEY).genUserSig('administrator', 86_400);
    expect(verifyUserSig(sig, expectation())).toMatchObject({
      ok: false,
      code: ErrorCodes.UserSigSdkAppIdMismatch,
    });
  });

  it('refuses to inflate a compressed bomb', () => {
    const bomb = deflateSync(Buffer.alloc(1_000_000, 0x20))
      .toString('base64')
      .replace(/\+/g, '*')
      .replace(/\//g, '-')
      .replace(/=/g, '_');
    expect(verifyUserSig(bomb, expectation())).toMatchObject({ ok: false, code: ErrorCodes.UserSigInvalid });
  });
});

describe('createUserSigVerifier', () => {
  const official = () => officialSigApi(SDK_APP_ID, SECRET_KEY);

  it('accepts a remembered sig again, and refuses it with 70001 once it has expired', () => {
    const verifier = createUserSigVerifier(String(SDK_APP_ID), SECRET_KEY);
    const sig = official().genUserSig('administrator', 60);
    const now = Date.now();
    expect(verifier.verify(sig, 'administrator', now).ok).toBe(true);
    expect(verifier.verify(sig, 'administrator', now + 1000).ok).toBe(true);
    expect(verifier.verify(sig, 'administrator', now + 62_000)).toMatchObject({
      ok: false,
      code: ErrorCodes.UserSigExpired,
    });
  });

  it('still refuses a remembered sig presented for another identifier with 70013', () => {
    const verifier = createUserSigVerifier(String(SDK_APP_ID), SECRET_KEY);
    const sig = official().genUserSig('administrator', 600);
    expect(verifier.verify(sig, 'administrator', Date.now()).ok).toBe(true);
    expect(verifier.verify(sig, 'ops_bot', Date.now())).toMatchObject({
      ok: false,
      code: ErrorCodes.UserSigIdentifierMismatch,
    });
  });

  it('never remembers a refused sig, and keeps verifying once full', () => {
    const verifier = createUserSigVerifier(String(SDK_APP_ID), SECRET_KEY, 2);
    const wrong = officialSigApi(SDK_APP_ID, 'other-key').genUserSig('administrator', 600);
    expect(verifier.verify(wrong, 'administrator', Date.now()).ok).toBe(false);
    expect(verifier.verify(wrong, 'administrator', Date.now()).ok).toBe(false);
    for (const id of ['a', 'b', 'c', 'a']) {
      expect(verifier.verify(official().genUserSig(id, 600), id, Date.now()).ok).toBe(true);
    }
  });
});
