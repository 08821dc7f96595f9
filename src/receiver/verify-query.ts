import {
  type CallbackQuery,
  computeSign,
  constantTimeEqual,
  type SignCheck,
  verifySign,
} from '../protocol/index.js';
import { ReceiverError } from './errors.js';
import type { ResolvedReceiverOptions } from './options.js';

/** Checks a callback's query; see {@link createQueryVerifier}. */
export type QueryVerifier = (query: CallbackQuery) => CallbackQuery | ReceiverError;

/**
 * Makes the check of what the URL carries — `SdkAppid`, then `Sign` and `RequestTime` when tokens
 * are set — run before any of the body is read. Returns the query, or the refusal.
 */
export function createQueryVerifier(options: ResolvedReceiverOptions): QueryVerifier {
  const checkSign = createSignChecker(options);
  return function verifyQuery(query) {
    if (!query.SdkAppid) return new ReceiverError('MissingSdkAppid', 'SdkAppid is missing from the URL');
    if (query.SdkAppid !== options.sdkAppId) {
      return new ReceiverError(
        'SdkAppidMismatch',
        `SdkAppid ${clip(query.SdkAppid)} is not this app's SDKAppID`,
      );
    }
    if (options.tokens.length === 0) return query;
    const check = checkSign(query.Sign, query.RequestTime);
    if (check.ok) return query;
    switch (check.reason) {
      case 'missing':
        return new ReceiverError(
          'SignMissing',
          'Sign and RequestTime are required: a callback token is configured',
        );
      case 'bad-time':
        return new ReceiverError('BadRequestTime', 'RequestTime must be whole Unix seconds');
      case 'stale': {
        const skew = Math.round(Number(query.RequestTime) - options.now() / 1000);
        return new ReceiverError(
          'StaleRequest',
          `RequestTime is ${Math.abs(skew)} s ${skew < 0 ? 'old' : 'in the future'}; accepted window is ±${options.maxSkewSeconds} s`,
        );
      }
      case 'mismatch':
        return new ReceiverError('SignMismatch', 'Sign does not match any configured token');
    }
  };
}

/**
 * `verifySign` with the expected signs of the last `RequestTime` remembered. Every callback sent in
 * the same second carries the same `RequestTime`, so under load the SHA-256 runs once a second,
 * not once a request. A remembered time has passed the format check; the window is checked again
 * against the clock, and the sign compared in constant time against every token, as verifySign does.
 */
function createSignChecker(options: ResolvedReceiverOptions) {
  const { tokens, maxSkewSeconds } = options;
  let knownTime = '';
  let knownSigns: readonly string[] = [];
  return function checkSign(sign: string | null, requestTime: string | null): SignCheck {
    const nowMs = options.now();
    if (!sign || !requestTime || requestTime !== knownTime) {
      const check = verifySign({ sign, requestTime, tokens, nowMs, maxSkewSeconds });
      // Passing the window means the time is well formed and current: worth remembering.
      if (requestTime && (check.ok || check.reason === 'mismatch')) {
        knownTime = requestTime;
        knownSigns = tokens.map((token) => computeSign(token, requestTime));
      }
      return check;
    }
    if (Math.abs(nowMs / 1000 - Number(requestTime)) > maxSkewSeconds) return { ok: false, reason: 'stale' };
    const given = sign.toLowerCase();
    let matched = -1;
    for (let i = 0; i < knownSigns.length; i++) {
      if (constantTimeEqual(given, knownSigns[i]!) && matched < 0) matched = i;
    }
    return matched >= 0 ? { ok: true, tokenIndex: matched } : { ok: false, reason: 'mismatch' };
  };
}

function clip(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}
