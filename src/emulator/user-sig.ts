import { timingSafeEqual } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { userSigHmac } from '../rest/user-sig.js';
import { ErrorCodes } from './errors.js';

// The emulator makes sigs with the REST client's generator, the one REST callers use.
export { generateUserSig, type UserSigInput } from '../rest/user-sig.js';

/** What a UserSig must match: the request's app and identifier, and the app's secret key. */
export interface UserSigExpectation {
  sdkAppId: string;
  identifier: string;
  secretKey: string;
  /** The clock, ms since the epoch. */
  nowMs: number;
}

/** The outcome of {@link verifyUserSig}: when the sig expires, or the Chat error code and why. */
export type UserSigCheck =
  | { ok: true; expiresAtMs: number }
  | {
      ok: false;
      code:
        | typeof ErrorCodes.UserSigExpired
        | typeof ErrorCodes.UserSigInvalid
        | typeof ErrorCodes.UserSigWrongKey
        | typeof ErrorCodes.UserSigIdentifierMismatch
        | typeof ErrorCodes.UserSigSdkAppIdMismatch;
      reason: string;
    };

/** The JSON document inside a TLSSigAPIv2 UserSig (docs/protocol.md §4). */
interface SigDoc {
  'TLS.ver': string;
  'TLS.identifier': string;
  'TLS.sdkappid': number;
  'TLS.time': number;
  'TLS.expire': number;
  'TLS.sig': string;
  'TLS.userbuf'?: string;
}

// A UserSig is base64 with `+`→`*`, `/`→`-`, `=`→`_` (docs/protocol.md §4).
const SIG_ALPHABET = /^[A-Za-z0-9*\-_]+$/;
// The deflated document is a few hundred bytes; refuse to inflate anything that grows past this.
const MAX_DOC_BYTES = 8192;
const MAX_SIG_CHARS = 4096;

/**
 * Checks a TLSSigAPIv2 UserSig as the Chat backend does: decodes it (70003 when it cannot), checks
 * it names the request's app (70014) and identifier (70013), recomputes its HMAC-SHA256 with the
 * secret key and compares in constant time (70009), then checks `TLS.time + TLS.expire` (70001).
 * A sig with `TLS.userbuf` (what `genPrivateMapKey` makes) is checked with the userbuf line signed.
 */
export function verifyUserSig(userSig: string, expect: UserSigExpectation): UserSigCheck {
  const doc = decodeSigDoc(userSig);
  if (typeof doc === 'string') return { ok: false, code: ErrorCodes.UserSigInvalid, reason: doc };
  if (String(doc['TLS.sdkappid']) !== expect.sdkAppId) {
    return {
      ok: false,
      code: ErrorCodes.UserSigSdkAppIdMismatch,
      reason: 'the UserSig was made for another SDKAppID than the request’s',
    };
  }
  if (doc['TLS.identifier'] !== expect.identifier) {
    return {
      ok: false,
      code: ErrorCodes.UserSigIdentifierMismatch,
      reason: 'the UserSig was made for another identifier than the request’s',
    };
  }
  const expected = Buffer.from(signDoc(doc, expect.secretKey), 'base64');
  const given = Buffer.from(doc['TLS.sig'], 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      ok: false,
      code: ErrorCodes.UserSigWrongKey,
      reason: 'the UserSig does not verify with this app’s secret key',
    };
  }
  const expiresAtMs = (doc['TLS.time'] + doc['TLS.expire']) * 1000;
  if (expiresAtMs < expect.nowMs) {
    return { ok: false, code: ErrorCodes.UserSigExpired, reason: 'the UserSig has expired' };
  }
  return { ok: true, expiresAtMs };
}

function unescapeChar(c: string): string {
  return c === '*' ? '+' : c === '-' ? '/' : '=';
}

/** The sig's document, or why it cannot be read. */
function decodeSigDoc(userSig: string): SigDoc | string {
  if (userSig.length > MAX_SIG_CHARS || !SIG_ALPHABET.test(userSig)) {
    return 'the UserSig is not in the TLSSigAPIv2 encoding';
  }
  let json: string;
  try {
    const deflated = Buffer.from(userSig.replace(/[*\-_]/g, unescapeChar), 'base64');
    json = inflateSync(deflated, { maxOutputLength: MAX_DOC_BYTES }).toString('utf8');
  } catch {
    return 'the UserSig cannot be decompressed';
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return 'the UserSig does not hold a JSON document';
  }
  return isSigDoc(value) ? value : 'the UserSig document lacks a TLS field or has one of the wrong type';
}

function signDoc(doc: SigDoc, secretKey: string): string {
  return userSigHmac(
    {
      identifier: doc['TLS.identifier'],
      sdkAppId: doc['TLS.sdkappid'],
      time: doc['TLS.time'],
      expire: doc['TLS.expire'],
      ...(doc['TLS.userbuf'] !== undefined ? { userbuf: doc['TLS.userbuf'] } : {}),
    },
    secretKey,
  );
}

function isSigDoc(value: unknown): value is SigDoc {
  if (typeof value !== 'object' || value === null) return false;
  const doc = value as Record<string, unknown>;
  return (
    doc['TLS.ver'] === '2.0' &&
    typeof doc['TLS.identifier'] === 'string' &&
    isWholeNumber(doc['TLS.sdkappid']) &&
    isWholeNumber(doc['TLS.time']) &&
    isWholeNumber(doc['TLS.expire']) &&
    typeof doc['TLS.sig'] === 'string' &&
    (doc['TLS.userbuf'] === undefined || typeof doc['TLS.userbuf'] === 'string')
  );
}

function isWholeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Checks UserSigs for one app and key, remembering the ones that passed. */
export interface UserSigVerifier {
  verify(userSig: string, identifier: string, nowMs: number): UserSigCheck;
}

/**
 * A {@link verifyUserSig} for one app and secret key that remembers up to `maxEntries` sigs that
 * passed, so a client reusing its UserSig (as the official SDKs do) is not decoded and HMAC'd on
 * every call. A remembered sig still has its identifier and expiry checked each time; any other
 * sig, a tampered copy included, goes through the full check.
 */
export function createUserSigVerifier(
  sdkAppId: string,
  secretKey: string,
  maxEntries = 1024,
): UserSigVerifier {
  const passed = new Map<string, { identifier: string; expiresAtMs: number }>();
  return {
    verify(userSig, identifier, nowMs) {
      const known = passed.get(userSig);
      if (known && known.identifier === identifier) {
        if (known.expiresAtMs < nowMs) {
          passed.delete(userSig);
          return { ok: false, code: ErrorCodes.UserSigExpired, reason: 'the UserSig has expired' };
        }
        return { ok: true, expiresAtMs: known.expiresAtMs };
      }
      const check = verifyUserSig(userSig, { sdkAppId, identifier, secretKey, nowMs });
      if (check.ok) {
        if (passed.size >= maxEntries) passed.delete(passed.keys().next().value as string);
        passed.set(userSig, { identifier, expiresAtMs: check.expiresAtMs });
      }
      return check;
    },
  };
}
