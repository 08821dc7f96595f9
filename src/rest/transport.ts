import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher } from 'undici';
import { RestCodes, RestError } from './errors.js';
import { createMetricsRecorder, type MetricsRecorder } from './metrics.js';
import type { RestClientOptions } from './options.js';
import { createRateLimiter, type RateLimiter } from './rate-limiter.js';
import { resolveRestBaseUrl } from './regions.js';
import { type Attempt, sendAttempt } from './send-attempt.js';
import { DEFAULT_OTHER_RATE_LIMIT, DEFAULT_RATE_LIMITS, type RestMetrics } from './types.js';
import { createUserSigCache, type UserSigCache } from './user-sig.js';

/** Sends REST calls: rate-limited, retried, counted. */
export interface Transport {
  readonly baseUrl: string;
  /** Sends `body` (JSON text) to `api` until it succeeds or fails for good; the whole OK answer. */
  send(api: string, body: string): Promise<Record<string, unknown>>;
  metrics(): RestMetrics;
  close(): Promise<void>;
}

/** The backoff and attempt policy, with defaults applied. */
interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Everything a call needs, resolved once from the options. */
interface TransportState {
  baseUrl: string;
  sdkAppId: string;
  identifier: string;
  timeoutMs: number;
  retry: RetryPolicy;
  rates: Record<string, number>;
  dispatcher: Dispatcher;
  ownDispatcher: boolean;
  sigs: UserSigCache;
  metrics: MetricsRecorder;
  limiters: Map<string, RateLimiter>;
  closing: AbortController;
  closed: Promise<void> | null;
  now: () => number;
  random: () => number;
}

// After an over-limit answer the API's window must pass before the next call.
const OVER_LIMIT_WAIT_MS = 1000;

/** Makes the {@link Transport} of a client; a `[timhook]` TypeError names a bad option. */
export function createTransport(options: RestClientOptions): Transport {
  const state = resolveState(options);
  return {
    baseUrl: state.baseUrl,
    send: (api, body) => sendWithRetry(state, api, body),
    metrics: () => state.metrics.snapshot(),
    close: function closeTransport() {
      if (!state.closed) {
        state.closing.abort();
        state.closed = state.ownDispatcher ? state.dispatcher.close() : Promise.resolve();
      }
      return state.closed;
    },
  };
}

function resolveState(options: RestClientOptions): TransportState {
  const baseUrl = resolveRestBaseUrl(options);
  const { sdkAppId, identifier, secretKey, now = Date.now, random = Math.random } = options;
  if (!/^\d+$/.test(String(sdkAppId))) {
    throw new TypeError('[timhook] `sdkAppId` must be the app’s numeric SDKAppID');
  }
  if (typeof identifier !== 'string' || identifier === '') {
    throw new TypeError('[timhook] `identifier` must name an app admin account');
  }
  if (typeof secretKey !== 'string' || secretKey === '') {
    throw new TypeError('[timhook] `secretKey` must be the app’s secret key');
  }
  const rates = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
  for (const [api, rate] of Object.entries(rates)) positive(rate, `rateLimits['${api}']`);
  const lifetimeSeconds = options.userSigLifetimeSeconds ?? 86_400;
  return {
    baseUrl,
    sdkAppId: String(sdkAppId),
    identifier,
    timeoutMs: positive(options.timeoutMs ?? 10_000, 'timeoutMs'),
    retry: {
      maxAttempts: positive(options.retry?.maxAttempts ?? 5, 'retry.maxAttempts'),
      baseDelayMs: positive(options.retry?.baseDelayMs ?? 200, 'retry.baseDelayMs'),
      maxDelayMs: positive(options.retry?.maxDelayMs ?? 10_000, 'retry.maxDelayMs'),
    },
    rates,
    dispatcher:
      options.dispatcher ?? new Agent({ connections: options.connections ?? 16, keepAliveTimeout: 30_000 }),
    ownDispatcher: options.dispatcher === undefined,
    sigs: createUserSigCache({ sdkAppId, secretKey, identifier, lifetimeSeconds, now }),
    metrics: createMetricsRecorder(options),
    limiters: new Map(),
    closing: new AbortController(),
    closed: null,
    now,
    random,
  };
}

function positive(value: number, name: string): number {
  if (typeof value !== 'number' || !(value > 0)) {
    throw new TypeError(`[timhook] \`${name}\` must be a positive number`);
  }
  return value;
}

function limiterOf(state: TransportState, api: string): RateLimiter {
  let limiter = state.limiters.get(api);
  if (!limiter) {
    limiter = createRateLimiter(state.rates[api] ?? DEFAULT_OTHER_RATE_LIMIT, state.now);
    state.limiters.set(api, limiter);
  }
  return limiter;
}

async function sendWithRetry(
  state: TransportState,
  api: string,
  body: string,
): Promise<Record<string, unknown>> {
  const { retry, metrics, closing, now, random } = state;
  const limiter = limiterOf(state, api);
  for (let attempt = 1; ; attempt++) {
    let waitedMs: number;
    try {
      waitedMs = await limiter.acquire(closing.signal);
    } catch {
      throw closedError(api, attempt - 1);
    }
    if (waitedMs > 0) metrics.wait({ api, waitedMs });
    const started = now();
    const result = await sendAttempt(
      {
        dispatcher: state.dispatcher,
        baseUrl: state.baseUrl,
        sdkAppId: state.sdkAppId,
        identifier: state.identifier,
        userSig: state.sigs.get(),
        timeoutMs: state.timeoutMs,
      },
      api,
      body,
    );
    const willRetry = attempt < retry.maxAttempts && isRetryable(result);
    metrics.call({
      api,
      outcome: result.outcome,
      attempt,
      willRetry,
      durationMs: now() - started,
      ...('errorCode' in result ? { errorCode: result.errorCode } : {}),
    });
    if (result.outcome === 'ok') return result.answer;
    if (!willRetry) throw errorOf(state, api, result, attempt);
    if (result.outcome === 'over-limit') {
      // Every call of this API waits out the window, and the wait counts as a rate-limit wait.
      const holdMs = OVER_LIMIT_WAIT_MS * (1 + random() * 0.25);
      limiter.holdUntil(now() + Math.max(holdMs, backoff(retry, attempt, random)));
      continue;
    }
    try {
      await sleep(backoff(retry, attempt, random), undefined, { signal: closing.signal });
    } catch {
      throw closedError(api, attempt);
    }
  }
}

function isRetryable(result: Attempt): boolean {
  switch (result.outcome) {
    case 'busy':
    case 'over-limit':
      return true;
    case 'network':
    case 'timeout':
    case 'answer':
      return result.retryable;
    default:
      return false;
  }
}

/** Full jitter: a uniform wait in [0, min(max, base × 2^(attempt−1))]. */
function backoff(policy: RetryPolicy, attempt: number, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

function closedError(api: string, attempts: number): RestError {
  return new RestError(
    { kind: 'network', api, errorCode: 0, errorInfo: 'closed', attempts },
    `${api}: the REST client was closed`,
  );
}

function errorOf(
  state: TransportState,
  api: string,
  result: Exclude<Attempt, { outcome: 'ok' }>,
  attempts: number,
): RestError {
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  if (!('errorCode' in result)) {
    // Only the origin: a base URL's path and the call's query (the UserSig) stay out of messages.
    const where =
      result.outcome === 'answer'
        ? result.reason
        : `could not reach ${originOf(state.baseUrl)} (${result.reason})`;
    return new RestError(
      { kind: result.outcome, api, errorCode: 0, errorInfo: result.reason, attempts },
      `${api}: ${where}${tries}`,
      { cause: result.cause },
    );
  }
  const { errorCode, errorInfo } = result;
  const init = { api, errorCode, errorInfo, attempts };
  const said = `ErrorCode ${errorCode}${errorInfo ? `: ${errorInfo}` : ''}`;
  if (result.outcome === 'fatal') {
    const why = RestCodes.fatal.get(errorCode)!;
    return new RestError(
      { kind: 'fatal', ...init },
      `the Chat REST API refused SDKAppID ${state.sdkAppId} as ${JSON.stringify(state.identifier)}: ` +
        `${why} (${said}). Check the SDKAppID, the admin identifier, the secret key and the region; ` +
        'nothing is retried.',
    );
  }
  return new RestError({ kind: 'chat', ...init }, `${api} failed: ${said}${tries}`);
}

function originOf(baseUrl: string): string {
  return new URL(baseUrl).origin;
}
