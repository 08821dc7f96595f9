import type { Dispatcher } from 'undici';
import type { RestRegion } from './regions.js';
import type { RestCallEvent, RestRateLimitWait } from './types.js';

/** How failed attempts are retried: exponential backoff with full jitter. */
export interface RestRetryOptions {
  /** Attempts per call in all, the first included. Default 5. */
  maxAttempts?: number;
  /** Backoff before the second attempt, ms; doubles each time. Default 200. */
  baseDelayMs?: number;
  /** Longest backoff, ms. Default 10,000. */
  maxDelayMs?: number;
}

/** Options of {@link createRestClient}. Give `region` or `baseUrl`. */
export interface RestClientOptions {
  /** The app's SDKAppID. */
  sdkAppId: string | number;
  /** An app admin account (the console's "App admin"): REST calls are made as it. */
  identifier: string;
  /** The app's secret key (console: basic information). Never printed. */
  secretKey: string;
  /** The data centre of the app: its documented domain is used. */
  region?: RestRegion;
  /** Any base URL instead of a region's domain, e.g. an emulator's `http://127.0.0.1:PORT`. */
  baseUrl?: string;
  /**
   * Calls per second by `<service>/<command>`, over the documented defaults
   * ({@link DEFAULT_RATE_LIMITS}); `Infinity` for no limit.
   */
  rateLimits?: Readonly<Record<string, number>>;
  /** Longest wait for one attempt's whole answer, ms. Default 10,000. */
  timeoutMs?: number;
  retry?: RestRetryOptions;
  /** Lifetime of the admin UserSig, seconds; it is renewed with 10% left. Default 86,400. */
  userSigLifetimeSeconds?: number;
  /** Connections kept open to the REST domain. Default 16. */
  connections?: number;
  /** Called after every HTTP attempt (for metrics); an exception in it is ignored. */
  onCall?: (event: RestCallEvent) => void;
  /** Called when a call waited for its rate limit; an exception in it is ignored. */
  onRateLimitWait?: (event: RestRateLimitWait) => void;
  /** The clock, ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** A number in [0, 1) for backoff jitter. Default `Math.random`. */
  random?: () => number;
  /** The undici dispatcher to send with; by default the client makes and closes its own `Agent`. */
  dispatcher?: Dispatcher;
}
