// Signed callback traffic for the benchmarks: the seed's full group-change body, a distinct body
// per request (so dedupe never short-circuits), a fresh RequestTime every second.
import { readFileSync } from 'node:fs';
import { computeSign, parseBody, readCallbackQuery } from '../../dist/protocol/index.js';
import { markParsedEvent } from '../../dist/protocol/object-bodies.js';
import { toLogEntry } from '../../dist/store/index.js';

export const SDK_APP_ID = '1400000000';
export const TOKEN = 'bench-callback-token';
export const COMMAND = 'Group.CallbackAfterGroupInfoChanged';

const seed = JSON.parse(
  readFileSync(new URL('../../test/fixtures/seeds/group-info-changed-both.json', import.meta.url), 'utf8'),
);

/** The id of bench group `index`: the `@TGS#` form Tencent uses, so the API path must encode `#`. */
export function groupIdOf(index) {
  return `@TGS#2BENCH${String(index).padStart(6, '0')}`;
}

/**
 * Body number `n`: the seed (every field it carries, custom fields included) for group
 * `n % groups`, with a distinct Name, and now and then a new Introduction.
 */
export function bodyOf(n, groups) {
  return JSON.stringify({
    ...seed,
    GroupId: groupIdOf(n % groups),
    Name: `NewGroupName ${n}`,
    Introduction: n % 5 === 0 ? `NewIntroduction ${n}` : seed.Introduction,
  });
}

/** The callback query string, signed for `requestTime` (Unix seconds). */
export function signedQuery(requestTime) {
  const params = new URLSearchParams({
    SdkAppid: SDK_APP_ID,
    CallbackCommand: COMMAND,
    contenttype: 'json',
    ClientIP: '127.0.0.1',
    OptPlatform: 'RESTAPI',
    RequestTime: String(requestTime),
    Sign: computeSign(TOKEN, requestTime),
  });
  return params.toString();
}

/**
 * An autocannon `setupRequest` that posts distinct signed callbacks to `path`. `counter` is shared
 * across runs so that no body is ever sent twice in one benchmark.
 */
export function createCallbackSetup({ path = '/callback', groups = 1000, counter = { next: 0 } } = {}) {
  let second = -1;
  let target = '';
  return function setupCallback(req) {
    const now = Math.floor(Date.now() / 1000);
    if (now !== second) {
      second = now;
      target = `${path}?${signedQuery(now)}`;
    }
    req.method = 'POST';
    req.path = target;
    req.body = bodyOf(counter.next++, groups);
    return req;
  };
}

const queries = new Map();

/**
 * Body number `n` as the recorder logs it: parsed, checked against its command's schema, and
 * through `toLogEntry`, with the query signed for the minute of `receivedAt` (ms).
 */
export function logEntryOf(n, groups, receivedAt = Date.now()) {
  const rawBody = bodyOf(n, groups);
  const checked = parseBody(COMMAND, JSON.parse(rawBody));
  if (!checked.ok) throw new Error(checked.problems.join('; '));
  const minute = Math.floor(receivedAt / 60_000) * 60;
  let query = queries.get(minute);
  if (!query) {
    query = readCallbackQuery(new URLSearchParams(signedQuery(minute)));
    queries.set(minute, query);
  }
  const event = {
    command: COMMAND,
    query,
    rawBody,
    sdkAppId: SDK_APP_ID,
    receivedAt,
    body: checked.body,
  };
  // As the receiver marks a body it parsed: the store then treats the entry as the recorder's.
  markParsedEvent(event);
  return toLogEntry(event);
}
