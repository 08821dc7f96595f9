import { type CallbackQuery, readCallbackQuery, verifySign } from '../protocol/index.js';
import { ReceiverError } from './errors.js';
import type { ResolvedReceiverOptions } from './options.js';

/**
 * Checks what the URL carries — `SdkAppid`, then `Sign` and `RequestTime` when tokens are set —
 * before any of the body is read. Returns the parsed query, or the refusal.
 */
export function verifyQuery(
  params: URLSearchParams,
  options: ResolvedReceiverOptions,
): CallbackQuery | ReceiverError {
  const query = readCallbackQuery(params);
  if (!query.SdkAppid) return new ReceiverError('MissingSdkAppid', 'SdkAppid is missing from the URL');
  if (query.SdkAppid !== options.sdkAppId) {
    return new ReceiverError(
      'SdkAppidMismatch',
      `SdkAppid ${clip(query.SdkAppid)} is not this app's SDKAppID`,
    );
  }
  if (options.tokens.length === 0) return query;
  const check = verifySign({
    sign: query.Sign,
    requestTime: query.RequestTime,
    tokens: options.tokens,
    nowMs: options.now(),
    maxSkewSeconds: options.maxSkewSeconds,
  });
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
}

function clip(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}
