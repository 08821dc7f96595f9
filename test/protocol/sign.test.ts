import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeSign, DEFAULT_MAX_SKEW_SECONDS, verifySign } from '../../src/protocol/sign.js';

// docs/protocol.md §1, from the public Webhook Overview.
const VECTOR = {
  token: 'xxxxyyyy',
  requestTime: '1669872112',
  sign: '17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061',
};
const T = 1669872112;
const NOW_MS = T * 1000;

describe('computeSign', () => {
  it('gives the public test vector for token xxxxyyyy and RequestTime 1669872112', () => {
    expect(computeSign(VECTOR.token, VECTOR.requestTime)).toBe(VECTOR.sign);
  });

  it('gives the same sign for a RequestTime passed as a number', () => {
    expect(computeSign(VECTOR.token, T)).toBe(VECTOR.sign);
  });

  it('is plain SHA-256 of the token and the time joined with nothing between, in lower-case hex', () => {
    const expected = createHash('sha256').update('s3cr3t-令牌1700000000', 'utf8').digest('hex');
    expect(computeSign('s3cr3t-令牌', '1700000000')).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is not an HMAC of the time keyed by the token', () => {
    const hmac = createHmac('sha256', VECTOR.token).update(VECTOR.requestTime).digest('hex');
    expect(computeSign(VECTOR.token, VECTOR.requestTime)).not.toBe(hmac);
  });
});

describe('verifySign', () => {
  const base = { sign: VECTOR.sign, requestTime: VECTOR.requestTime, nowMs: NOW_MS };

  it('accepts the public test vector with its token', () => {
    expect(verifySign({ ...base, tokens: [VECTOR.token] })).toEqual({ ok: true, tokenIndex: 0 });
  });

  it('accepts a sign made with any of several tokens and says which one matched (rotation)', () => {
    const tokens = ['old-token', VECTOR.token, 'next-token'];
    expect(verifySign({ ...base, tokens })).toEqual({ ok: true, tokenIndex: 1 });
    const signedWithNext = computeSign('next-token', VECTOR.requestTime);
    expect(verifySign({ ...base, sign: signedWithNext, tokens })).toEqual({ ok: true, tokenIndex: 2 });
    const signedWithOld = computeSign('old-token', VECTOR.requestTime);
    expect(verifySign({ ...base, sign: signedWithOld, tokens })).toEqual({ ok: true, tokenIndex: 0 });
  });

  it('refuses a sign made with a token that is no longer configured', () => {
    const tokens = ['new-token-a', 'new-token-b'];
    expect(verifySign({ ...base, tokens })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a wrong sign as a mismatch', () => {
    const wrong = `${VECTOR.sign.slice(0, -1)}0`;
    expect(verifySign({ ...base, sign: wrong, tokens: [VECTOR.token] })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('refuses a sign of the right token for another RequestTime', () => {
    const sign = computeSign(VECTOR.token, T - 1);
    expect(verifySign({ ...base, sign, tokens: [VECTOR.token] })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a sign that is the right one with extra characters', () => {
    const sign = `${VECTOR.sign}00`;
    expect(verifySign({ ...base, sign, tokens: [VECTOR.token] })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses any sign when no token is configured', () => {
    expect(verifySign({ ...base, tokens: [] })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('accepts a sign written in upper-case hex', () => {
    const sign = VECTOR.sign.toUpperCase();
    expect(verifySign({ ...base, sign, tokens: [VECTOR.token] })).toEqual({ ok: true, tokenIndex: 0 });
  });

  it('reports a missing Sign or RequestTime as missing', () => {
    const tokens = [VECTOR.token];
    for (const sign of [null, undefined, '']) {
      expect(verifySign({ ...base, sign, tokens })).toEqual({ ok: false, reason: 'missing' });
    }
    for (const requestTime of [null, undefined, '']) {
      expect(verifySign({ ...base, requestTime, tokens })).toEqual({ ok: false, reason: 'missing' });
    }
  });

  it('reports a RequestTime that is not whole Unix seconds as a bad time', () => {
    const tokens = [VECTOR.token];
    for (const requestTime of ['abc', '1669872112.5', '-1669872112', ' 1669872112', '1e9', '0x63889cf0']) {
      const sign = computeSign(VECTOR.token, requestTime);
      expect(verifySign({ sign, requestTime, tokens, nowMs: NOW_MS }), requestTime).toEqual({
        ok: false,
        reason: 'bad-time',
      });
    }
  });

  it('reports a RequestTime in milliseconds as a bad time rather than comparing it', () => {
    const requestTime = String(NOW_MS);
    const sign = computeSign(VECTOR.token, requestTime);
    expect(verifySign({ sign, requestTime, tokens: [VECTOR.token], nowMs: NOW_MS })).toEqual({
      ok: false,
      reason: 'bad-time',
    });
  });

  it('has a default window of 60 seconds', () => {
    expect(DEFAULT_MAX_SKEW_SECONDS).toBe(60);
  });

  it('accepts a RequestTime up to 60 seconds old or 60 seconds ahead by default', () => {
    const tokens = [VECTOR.token];
    expect(verifySign({ ...base, tokens, nowMs: NOW_MS + 60_000 })).toEqual({ ok: true, tokenIndex: 0 });
    expect(verifySign({ ...base, tokens, nowMs: NOW_MS - 60_000 })).toEqual({ ok: true, tokenIndex: 0 });
  });

  it('refuses a RequestTime more than 60 seconds old as stale', () => {
    expect(verifySign({ ...base, tokens: [VECTOR.token], nowMs: NOW_MS + 61_000 })).toEqual({
      ok: false,
      reason: 'stale',
    });
  });

  it('refuses a RequestTime more than 60 seconds in the future as stale', () => {
    expect(verifySign({ ...base, tokens: [VECTOR.token], nowMs: NOW_MS - 61_000 })).toEqual({
      ok: false,
      reason: 'stale',
    });
  });

  it('checks the window before the sign, so a stale request with a wrong sign is reported stale', () => {
    expect(verifySign({ ...base, sign: 'nope', tokens: [VECTOR.token], nowMs: NOW_MS + 3_600_000 })).toEqual({
      ok: false,
      reason: 'stale',
    });
  });

  it('uses a custom window on both sides', () => {
    const tokens = [VECTOR.token];
    const wide = { ...base, tokens, maxSkewSeconds: 300 };
    expect(verifySign({ ...wide, nowMs: NOW_MS + 300_000 })).toEqual({ ok: true, tokenIndex: 0 });
    expect(verifySign({ ...wide, nowMs: NOW_MS - 300_000 })).toEqual({ ok: true, tokenIndex: 0 });
    expect(verifySign({ ...wide, nowMs: NOW_MS + 301_000 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifySign({ ...wide, nowMs: NOW_MS - 301_000 })).toEqual({ ok: false, reason: 'stale' });

    const narrow = { ...base, tokens, maxSkewSeconds: 5 };
    expect(verifySign({ ...narrow, nowMs: NOW_MS + 5_000 })).toEqual({ ok: true, tokenIndex: 0 });
    expect(verifySign({ ...narrow, nowMs: NOW_MS + 6_000 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifySign({ ...narrow, nowMs: NOW_MS - 6_000 })).toEqual({ ok: false, reason: 'stale' });
  });
});
