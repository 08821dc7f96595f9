import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher } from 'undici';
import { RestCodes, RestError } from './errors.js';
import { createMetricsRecorder } from './metrics.js';
import type { RestClientOptions } from './options.js';
import { BadAnswer, readGroupIdPage, readGroupInfo, readTopics } from './parse-answers.js';
import { createRateLimiter, type RateLimiter } from './rate-limiter.js';
import { resolveRestBaseUrl } from './regions.js';
import { type Attempt, sendAttempt } from './send-attempt.js';
import {
  DEFAULT_OTHER_RATE_LIMIT,
  DEFAULT_RATE_LIMITS,
  GROUP_BASE_INFO_FIELDS,
  type GroupIdPage,
  type GroupIdPageRequest,
  type GroupInfoRequest,
  type GroupInfoResult,
  RestApis,
  RestLimits,
  type RestMetrics,
  type TopicInfoResult,
  type TopicRequest,
} from './types.js';
import { createUserSigCache } from './user-sig.js';

/** A typed client of the Chat REST API, calling as one app admin. */
export interface RestClient {
  /** The base URL calls go to (`https://<domain>` or the given one). */
  readonly baseUrl: string;
  /** One page of the app's group ids (`group_open_http_svc/get_appid_group_list`). */
  getAppidGroupList(request?: GroupIdPageRequest): Promise<GroupIdPage>;
  /** Every page of group ids from `request.next` on, until the backend answers `Next: 0`. */
  iterateGroupIds(request?: GroupIdPageRequest): AsyncGenerator<GroupIdPage, void, undefined>;
  /** Profiles of up to 50 groups (`group_open_http_svc/get_group_info`), in the order asked. */
  getGroupInfo(groupIds: readonly string[], request?: GroupInfoRequest): Promise<GroupInfoResult[]>;
  /** A community's topics with their profiles (`million_group_open_http_svc/get_topic`). */
  getTopic(groupId: string, request?: TopicRequest): Promise<TopicInfoResult[]>;
  /** Any REST command with a JSON body; resolves to the whole answer when it is `OK`. */
  call(api: string, body: unknown): Promise<Record<string, unknown>>;
  /** Calls by API and outcome, and rate-limit waits, since the client was made. */
  metrics(): RestMetrics;
  /** Ends pending waits with an error and closes the connections the client opened. */
  close(): Promise<void>;
}

/** The backoff and attempt policy, with defaults applied. */
interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

// After an over-limit answer the API's window must pass before the next call.
const OVER_LIMIT_WAIT_MS = 1000;

/**
 * Makes a {@link RestClient}. Each call waits for its API's rate limit (the documented maximum by
 * default), is retried with exponential backoff and full jitter on network errors, timeouts and
 * busy codes, and after a wait on over-limit codes. A fatal code (wrong secret key, identifier not
 * an admin, wrong region) throws a fatal {@link RestError} at once, never retried.
 *
 * @example
 * const rest = createRestClient({ sdkAppId, identifier: 'administrator', secretKey, region: 'sgp' });
 * for await (const page of rest.iterateGroupIds()) console.log(page.groupIds);
 */
export function createRestClient(options: RestClientOptions): RestClient {
  const baseUrl = resolveRestBaseUrl(options);
  const { sdkAppId, identifier, secretKey, now = Date.now, random = Math.random } = options;
  if (String(sdkAppId) === '' || !/^\d+$/.test(String(sdkAppId))) {
    throw new TypeError('[timhook] `sdkAppId` must be the app’s numeric SDKAppID');
  }
  if (typeof identifier !== 'string' || identifier === '') {
    throw new TypeError('[timhook] `identifier` must name an app admin account');
  }
  if (typeof secretKey !== 'string' || secretKey === '') {
    throw new TypeError('[timhook] `secretKey` must be the app’s secret key');
  }
  const timeoutMs = positive(options.timeoutMs ?? 10_000, 'timeoutMs');
  const retry: RetryPolicy = {
    maxAttempts: positive(options.retry?.maxAttempts ?? 5, 'retry.maxAttempts'),
    baseDelayMs: positive(options.retry?.baseDelayMs ?? 200, 'retry.baseDelayMs'),
    maxDelayMs: positive(options.retry?.maxDelayMs ?? 10_000, 'retry.maxDelayMs'),
  };
  const rates = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
  for (const [api, rate] of Object.entries(rates)) positive(rate, `rateLimits['${api}']`);
  const ownDispatcher = options.dispatcher === undefined;
  const dispatcher: Dispatcher =
    options.dispatcher ?? new Agent({ connections: options.connections ?? 16, keepAliveTimeout: 30_000 });
  const sigs = createUserSigCache({
    sdkAppId,
    secretKey,
    identifier,
    lifetimeSeconds: options.userSigLifetimeSeconds ?? 86_400,
    now,
  });
  const metrics = createMetricsRecorder(options);
  const limiters = new Map<string, RateLimiter>();
  const closing = new AbortController();
  let closed: Promise<void> | null = null;

  function limiterOf(api: string): RateLimiter {
    let limiter = limiters.get(api);
    if (!limiter) {
      limiter = createRateLimiter(rates[api] ?? DEFAULT_OTHER_RATE_LIMIT, now);
      limiters.set(api, limiter);
    }
    return limiter;
  }

  /** Sends `body` to `api` until it succeeds, fails for good, or runs out of attempts. */
  async function send(api: string, body: string): Promise<Record<string, unknown>> {
    const limiter = limiterOf(api);
    for (let attempt = 1; ; attempt++) {
      if (closing.signal.aborted) throw closedError(api, attempt - 1);
      let waitedMs: number;
      try {
        waitedMs = await limiter.acquire(closing.signal);
      } catch {
        throw closedError(api, attempt - 1);
      }
      if (waitedMs > 0) metrics.wait({ api, waitedMs });
      const started = now();
      const result = await sendAttempt(
        { dispatcher, baseUrl, sdkAppId: String(sdkAppId), identifier, userSig: sigs.get(), timeoutMs },
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
      if (!willRetry) throw errorOf(api, result, attempt, String(sdkAppId), identifier);
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

  async function callTyped<T>(api: string, body: string, read: (answer: Record<string, unknown>) => T) {
    const answer = await send(api, body);
    try {
      return read(answer);
    } catch (error) {
      if (!(error instanceof BadAnswer)) throw error;
      throw new RestError(
        { kind: 'answer', api, errorCode: 0, errorInfo: error.message, attempts: 1 },
        `${api}: the answer is not of the documented shape: ${error.message}`,
      );
    }
  }

  const client: RestClient = {
    baseUrl,
    getAppidGroupList: function getAppidGroupList(request = {}) {
      return callTyped(RestApis.getAppidGroupList, groupListBody(request), readGroupIdPage);
    },
    iterateGroupIds: async function* iterateGroupIds(request = {}) {
      let next = cursorOf(request.next);
      for (;;) {
        const page = await client.getAppidGroupList({ ...request, next });
        yield page;
        if (page.next === '0') return;
        next = page.next;
      }
    },
    getGroupInfo: function getGroupInfo(groupIds, request = {}) {
      if (groupIds.length === 0 || groupIds.length > RestLimits.maxGroupInfoIds) {
        throw new TypeError(`[timhook] getGroupInfo takes 1 to ${RestLimits.maxGroupInfoIds} group ids`);
      }
      return callTyped(
        RestApis.getGroupInfo,
        JSON.stringify(groupInfoBody(groupIds, request)),
        readGroupInfo,
      );
    },
    getTopic: function getTopic(groupId, request = {}) {
      const body: Record<string, unknown> = { GroupId: groupId };
      if (request.fromAccount !== undefined) body.From_Account = request.fromAccount;
      if (request.topicIds !== undefined) body.TopicIdList = [...request.topicIds];
      return callTyped(RestApis.getTopic, JSON.stringify(body), readTopics);
    },
    call: function call(api, body) {
      if (!/^[a-z0-9_]+\/[a-z0-9_]+$/.test(api)) {
        throw new TypeError(`[timhook] ${JSON.stringify(api)} is not a <service>/<command>`);
      }
      return send(api, JSON.stringify(body));
    },
    metrics: () => metrics.snapshot(),
    close: function closeRestClient() {
      if (!closed) {
        closing.abort();
        closed = ownDispatcher ? dispatcher.close() : Promise.resolve();
      }
      return closed;
    },
  };
  return client;
}

function positive(value: number, name: string): number {
  if (typeof value !== 'number' || !(value > 0)) {
    throw new TypeError(`[timhook] \`${name}\` must be a positive number`);
  }
  return value;
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

/** The body of `get_appid_group_list`, written by hand: `Next` is a 64-bit number sent exactly. */
function groupListBody(request: GroupIdPageRequest): string {
  const limit = request.limit ?? RestLimits.maxGroupListPage;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > RestLimits.maxGroupListPage) {
    throw new TypeError(`[timhook] \`limit\` must be 1 to ${RestLimits.maxGroupListPage}`);
  }
  let body = `{"Limit":${limit},"Next":${cursorOf(request.next)}`;
  if (request.groupType !== undefined) body += `,"GroupType":${JSON.stringify(request.groupType)}`;
  return `${body}}`;
}

function cursorOf(next: GroupIdPageRequest['next']): string {
  const digits = String(next ?? '0');
  if (!/^\d+$/.test(digits) || BigInt(digits) >= 2n ** 64n) {
    throw new TypeError('[timhook] `next` must be a cursor from a previous page (an unsigned 64-bit number)');
  }
  return BigInt(digits).toString();
}

function groupInfoBody(groupIds: readonly string[], request: GroupInfoRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { GroupIdList: [...groupIds] };
  if (request.customFieldKeys !== undefined) {
    body.ResponseFilter = {
      GroupBaseInfoFilter: [...(request.baseInfoFields ?? GROUP_BASE_INFO_FIELDS)],
      AppDefinedDataFilter_Group: [...request.customFieldKeys],
    };
  }
  return body;
}

function closedError(api: string, attempts: number): RestError {
  return new RestError(
    { kind: 'network', api, errorCode: 0, errorInfo: 'closed', attempts },
    `${api}: the REST client was closed`,
  );
}

function errorOf(
  api: string,
  result: Exclude<Attempt, { outcome: 'ok' }>,
  attempts: number,
  sdkAppId: string,
  identifier: string,
): RestError {
  const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  if (!('errorCode' in result)) {
    return new RestError(
      { kind: result.outcome, api, errorCode: 0, errorInfo: result.reason, attempts },
      `${api}: ${result.reason}${tries}`,
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
      `the Chat REST API refused SDKAppID ${sdkAppId} as ${JSON.stringify(identifier)}: ${why} (${said}). ` +
        'Check the SDKAppID, the admin identifier, the secret key and the region; nothing is retried.',
    );
  }
  return new RestError({ kind: 'chat', ...init }, `${api} failed: ${said}${tries}`);
}
