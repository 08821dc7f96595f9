import { REST_COMMANDS } from './commands.js';

/**
 * The documented call limits of the read APIs, in calls per second (Tencent docs 34960, 34961 and
 * 49469): `get_appid_group_list` 1, `get_group_info` 200, `get_topic` 200. Other commands have none.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<string, number>> = {
  'group_open_http_svc/get_appid_group_list': 1,
  'group_open_http_svc/get_group_info': 200,
  'million_group_open_http_svc/get_topic': 200,
};

/**
 * The `service/command` a name stands for: the full name, or the command alone when one service
 * has it (`get_group_info` → `group_open_http_svc/get_group_info`); `undefined` when none does.
 */
export function resolveCommandName(name: string): string | undefined {
  if (REST_COMMANDS.has(name)) return name;
  const matches = [...REST_COMMANDS.keys()].filter((full) => full.endsWith(`/${name}`));
  return matches.length === 1 ? matches[0] : undefined;
}

/** Token buckets, one per API: a call takes a token; `limit` tokens come back each second. */
export interface RateLimiter {
  /** Takes a token for `command` at `nowMs`: `false` when its bucket is empty (over the limit). */
  take(command: string, limit: number, nowMs: number): boolean;
}

interface Bucket {
  limit: number;
  tokens: number;
  at: number;
}

// A call sent on time can arrive a little early after the one before it arrived late (network
// jitter): up to this share of a token may be borrowed, and is paid back before the next call.
const EARLY_ALLOWANCE = 0.05;

/**
 * Creates the per-API limiter. A bucket holds one second's worth of calls, so a caller that keeps
 * to the limit is never refused (one up to 5% of an interval early included), and one that bursts
 * past it is refused until tokens come back; over any stretch the rate stays at the limit. A
 * bucket whose limit changes starts full at the new limit.
 */
export function createRateLimiter(): RateLimiter {
  const buckets = new Map<string, Bucket>();
  return {
    take(command, limit, nowMs) {
      let bucket = buckets.get(command);
      if (!bucket || bucket.limit !== limit) {
        bucket = { limit, tokens: Math.max(limit, 1), at: nowMs };
        buckets.set(command, bucket);
      }
      // A clock that steps back refills nothing.
      const elapsed = Math.max(0, nowMs - bucket.at) / 1000;
      bucket.tokens = Math.min(Math.max(limit, 1), bucket.tokens + elapsed * limit);
      bucket.at = nowMs;
      if (bucket.tokens < 1 - EARLY_ALLOWANCE) return false;
      bucket.tokens -= 1;
      return true;
    },
  };
}
