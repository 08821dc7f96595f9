import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { constantTimeEqual } from './constant-time.js';

/** Default accepted distance between `RequestTime` and the receiver's clock (docs/protocol.md §1). */
export const DEFAULT_MAX_SKEW_SECONDS = 60;

/**
 * The webhook `Sign`: lowercase hex of SHA-256(token + RequestTime), the two strings joined with
 * nothing between; not an HMAC, and the body is not signed (docs/protocol.md §1).
 *
 * @example computeSign('xxxxyyyy', '1669872112') // '17773bc3…484061'
 */
export function computeSign(token: string, requestTime: string | number): string {
  return bytesToHex(sha256(utf8ToBytes(`${token}${requestTime}`)));
}

/** Why a signature check failed. */
export type SignFailure = 'missing' | 'bad-time' | 'stale' | 'mismatch';

/** The outcome of {@link verifySign}: which token matched, or why none did. */
export type SignCheck = { ok: true; tokenIndex: number } | { ok: false; reason: SignFailure };

/** What {@link verifySign} needs; `tokens` holds every token currently valid (rotation). */
export interface VerifySignInput {
  sign: string | null | undefined;
  requestTime: string | null | undefined;
  tokens: readonly string[];
  /** The receiver's clock, in milliseconds. */
  nowMs: number;
  maxSkewSeconds?: number;
}

const SECONDS = /^\d{1,12}$/;

/**
 * Checks `Sign` and `RequestTime` from a callback URL: the time must be whole Unix seconds within
 * `maxSkewSeconds` of `nowMs` on either side, and the sign must match one of `tokens`. Every token
 * is compared, in constant time, so timing says nothing about which one matched.
 */
export function verifySign(input: VerifySignInput): SignCheck {
  const { sign, requestTime, tokens, nowMs, maxSkewSeconds = DEFAULT_MAX_SKEW_SECONDS } = input;
  if (!sign || !requestTime) return { ok: false, reason: 'missing' };
  if (!SECONDS.test(requestTime)) return { ok: false, reason: 'bad-time' };
  if (Math.abs(nowMs / 1000 - Number(requestTime)) > maxSkewSeconds) return { ok: false, reason: 'stale' };
  const given = sign.toLowerCase();
  let matched = -1;
  for (let i = 0; i < tokens.length; i++) {
    if (constantTimeEqual(given, computeSign(tokens[i]!, requestTime)) && matched < 0) matched = i;
  }
  return matched >= 0 ? { ok: true, tokenIndex: matched } : { ok: false, reason: 'mismatch' };
}
