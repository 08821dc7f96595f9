import { setTimeout as sleep } from 'node:timers/promises';

/** Lets calls of one API go at most at a given rate; waiting callers go in arrival order. */
export interface RateLimiter {
  /** Resolves when a call may go, with how long it waited (ms). */
  acquire(): Promise<number>;
  /** Lets no call go before `untilMs` (after an over-limit answer). */
  holdUntil(untilMs: number): void;
}

// A window a little longer than the documented second: the backend counts arrivals, and two calls
// a window apart when sent can land a little less than a window apart.
const WINDOW_MARGIN_MS = 25;

/**
 * A sliding-window limiter: at most `perSecond` grants in any window of one second (plus a small
 * margin), so no backend window, fixed or sliding, sees more than the documented rate. A rate
 * under 1 allows one call per `1 / perSecond` seconds; `Infinity` never waits.
 */
export function createRateLimiter(perSecond: number, now: () => number = Date.now): RateLimiter {
  if (!(perSecond > 0)) throw new TypeError('[timhook] a REST rate limit must be a positive number');
  const unlimited = perSecond === Infinity;
  const slots = unlimited ? Infinity : Math.max(1, Math.floor(perSecond));
  const windowMs = unlimited ? 0 : (slots * 1000) / perSecond + WINDOW_MARGIN_MS;
  // The grant times in the current window, oldest first (a ring of `slots` entries).
  const grants: number[] = [];
  let heldUntil = 0;
  let tail: Promise<unknown> = Promise.resolve();

  async function takeTurn(): Promise<number> {
    const start = now();
    for (;;) {
      const t = now();
      const oldest = grants.length < slots ? -Infinity : grants[0]!;
      const readyAt = Math.max(heldUntil, oldest + windowMs);
      if (readyAt <= t) {
        if (grants.length === slots) grants.shift();
        if (!unlimited) grants.push(t);
        return t - start;
      }
      await sleep(Math.ceil(readyAt - t));
    }
  }

  return {
    acquire: function acquireRateLimit() {
      if (unlimited && heldUntil <= now()) return Promise.resolve(0);
      const turn = tail.then(takeTurn);
      tail = turn.catch(() => undefined);
      return turn;
    },
    holdUntil: function holdRateLimit(untilMs) {
      heldUntil = Math.max(heldUntil, untilMs);
    },
  };
}
