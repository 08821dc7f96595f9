import { createHmac } from 'node:crypto';
import { deflateSync } from 'node:zlib';

/** The signed fields of a TLSSigAPIv2 UserSig (docs: the REST API's UserSig format). */
export interface UserSigFields {
  identifier: string;
  sdkAppId: number;
  /** When the sig was made, Unix seconds. */
  time: number;
  /** Lifetime in seconds from `time`. */
  expire: number;
  /** Base64 user buffer (only `genPrivateMapKey` sigs carry one). */
  userbuf?: string;
}

/**
 * `base64(HMAC-SHA256(secretKey, content))` where the content is one `TLS.<name>:<value>\n` line
 * per signed field, in the official generator's order.
 */
export function userSigHmac(fields: UserSigFields, secretKey: string): string {
  let content =
    `TLS.identifier:${fields.identifier}\n` +
    `TLS.sdkappid:${fields.sdkAppId}\n` +
    `TLS.time:${fields.time}\n` +
    `TLS.expire:${fields.expire}\n`;
  if (fields.userbuf !== undefined) content += `TLS.userbuf:${fields.userbuf}\n`;
  return createHmac('sha256', secretKey).update(content).digest('base64');
}

/** What {@link generateUserSig} signs. */
export interface UserSigInput {
  sdkAppId: string | number;
  secretKey: string;
  identifier: string;
  /** Lifetime in seconds. Default 86400 (one day). */
  expireSeconds?: number;
  /** The clock, ms since the epoch. Default `Date.now()`. */
  nowMs?: number;
}

/**
 * Makes a UserSig exactly as the official `tls-sig-api-v2` generator does: the JSON document
 * `{TLS.ver, TLS.identifier, TLS.sdkappid, TLS.time, TLS.expire, TLS.sig}` zlib-deflated, base64'd,
 * then `+`→`*`, `/`→`-`, `=`→`_`.
 *
 * @example generateUserSig({ sdkAppId: 1400000000, secretKey, identifier: 'administrator' })
 */
export function generateUserSig(input: UserSigInput): string {
  const { sdkAppId, secretKey, identifier, expireSeconds = 86_400, nowMs = Date.now() } = input;
  const fields: UserSigFields = {
    identifier,
    sdkAppId: Number(sdkAppId),
    time: Math.floor(nowMs / 1000),
    expire: expireSeconds,
  };
  // Key order is the official generator's: the deflated bytes, hence the sig, depend on it.
  const doc = {
    'TLS.ver': '2.0',
    'TLS.identifier': fields.identifier,
    'TLS.sdkappid': fields.sdkAppId,
    'TLS.time': fields.time,
    'TLS.expire': fields.expire,
    'TLS.sig': userSigHmac(fields, secretKey),
  };
  return deflateSync(Buffer.from(JSON.stringify(doc)))
    .toString('base64')
    .replace(/[+/=]/g, escapeSigChar);
}

function escapeSigChar(c: string): string {
  return c === '+' ? '*' : c === '/' ? '-' : '_';
}

/** Hands out one admin UserSig, renewed when less than a tenth of its lifetime is left. */
export interface UserSigCache {
  /** The current sig. */
  get(): string;
  /** Drops the current sig, so the next {@link get} makes a new one. */
  reset(): void;
}

/** What a {@link createUserSigCache} signs with. */
export interface UserSigCacheOptions {
  sdkAppId: string | number;
  secretKey: string;
  identifier: string;
  /** Lifetime of each sig in seconds. Default 86400. */
  lifetimeSeconds?: number;
  /** The clock, ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

// A sig is renewed once less than this share of its lifetime is left, so a call made with it
// never reaches the backend expired, even with some clock skew.
const RENEW_WHEN_LEFT = 0.1;

/**
 * One UserSig reused across calls (making one costs a deflate and an HMAC), renewed before it
 * expires: when less than 10% of its lifetime is left.
 */
export function createUserSigCache(options: UserSigCacheOptions): UserSigCache {
  const { sdkAppId, secretKey, identifier, lifetimeSeconds = 86_400, now = Date.now } = options;
  if (!Number.isSafeInteger(lifetimeSeconds) || lifetimeSeconds <= 0) {
    throw new TypeError('[timhook] `lifetimeSeconds` must be a positive whole number');
  }
  let current: { sig: string; renewAtMs: number } | null = null;
  return {
    get: function getUserSig() {
      const nowMs = now();
      if (current === null || nowMs >= current.renewAtMs) {
        const sig = generateUserSig({
          sdkAppId,
          secretKey,
          identifier,
          expireSeconds: lifetimeSeconds,
          nowMs,
        });
        const madeAtMs = Math.floor(nowMs / 1000) * 1000;
        current = { sig, renewAtMs: madeAtMs + lifetimeSeconds * 1000 * (1 - RENEW_WHEN_LEFT) };
      }
      return current.sig;
    },
    reset: function resetUserSig() {
      current = null;
    },
  };
}
