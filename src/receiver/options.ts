import { DEFAULT_MAX_SKEW_SECONDS } from '../protocol/index.js';

/** Settings of a receiver. Every field but `sdkAppId` has a default. */
export interface ReceiverOptions {
  /** Your app's SDKAppID; a callback for any other app is refused (both seed documents ask this). */
  sdkAppId: string | number;
  /**
   * The callback tokens set in the console. Several are accepted at once, for rotation. Empty
   * means `Sign` is not checked — only for a console with no token set.
   */
  tokens?: readonly string[];
  /** Accepted distance between `RequestTime` and this clock, either way. Default 60. */
  maxSkewSeconds?: number;
  /** Largest body accepted, in bytes. Default 65536 (a full group change is well under 8 KiB). */
  maxBodyBytes?: number;
  /** The clock, ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Where a failing handler is reported when no `onError` handler is registered. Default `console.error`. */
  log?: (message: string, error: unknown) => void;
}

/** {@link ReceiverOptions} with every default filled in. */
export interface ResolvedReceiverOptions {
  sdkAppId: string;
  tokens: readonly string[];
  maxSkewSeconds: number;
  maxBodyBytes: number;
  now: () => number;
  log: (message: string, error: unknown) => void;
}

/** Fills in defaults and rejects misuse at construction with a `[timhook]` TypeError. */
export function resolveReceiverOptions(options: ReceiverOptions): ResolvedReceiverOptions {
  const {
    sdkAppId,
    tokens = [],
    maxSkewSeconds = DEFAULT_MAX_SKEW_SECONDS,
    maxBodyBytes = 65_536,
    now = Date.now,
    log = (message, error) => console.error(message, error),
  } = options ?? ({} as ReceiverOptions);
  if (sdkAppId === undefined || sdkAppId === null || String(sdkAppId).trim() === '') {
    throw new TypeError('[timhook] createReceiver needs `sdkAppId`, your app’s SDKAppID');
  }
  if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== 'string' || t === '')) {
    throw new TypeError('[timhook] `tokens` must be an array of non-empty strings');
  }
  if (!(maxSkewSeconds > 0)) throw new TypeError('[timhook] `maxSkewSeconds` must be a positive number');
  if (!(Number.isInteger(maxBodyBytes) && maxBodyBytes > 0)) {
    throw new TypeError('[timhook] `maxBodyBytes` must be a positive whole number');
  }
  return { sdkAppId: String(sdkAppId), tokens: [...tokens], maxSkewSeconds, maxBodyBytes, now, log };
}
