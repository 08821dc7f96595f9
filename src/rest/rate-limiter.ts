import { setTimeout as sleep } from 'node:timers/promises';

/** Lets calls of one API go at most at a given rate; waiting callers go in arrival order. */
export interface RateLimiter {
  /** Resolves when a call may go: 0 when it went at once, else how long it waited for the limit (ms). Rejects when `signal` aborts. */
  acquire(signal?: AbortSignal): Promise<number>;
  /** Lets no call go before `untilMs` (after an over-limit answer). */
  holdUntil(untilMs: number): void;
}

/** When a caller asked, and the limiter's sleeps then. */
interface Ask {
  at: number;
  sleeps: number;
  sleeping: boolean;
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

  // Sleeps so far, and whether one is under way: a caller waited for the limit when a sleep
  // (its own or a caller's ahead of it) happened between its ask and its grant.
  let sleeps = 0;
  let sleeping = false;

  async function takeTurn(ask: Ask, signal: AbortSignal | undefined): Promise<number> {
    for (;;) {
      signal?.throwIfAborted();
      const t = now();
      const oldest = grants.length < slots ? -Infinity : grants[0]!;
      const readyAt = Math.max(heldUntil, oldest + windowMs);
      if (readyAt <= t) {
        if (grants.length === slots) grants.shift();
        if (!unlimited) grants.push(t);
        return ask.sleeping || sleeps !== ask.sleeps ? Math.max(1, t - ask.at) : 0;
      }
      sleeps++;
      sleeping = true;
      try {
        await sleep(Math.ceil(readyAt - t), undefined, signal ? { signal } : {});
      } finally {
        sleeping = false;
      }
    }
  }

  return {
    acquire: function acquireRateLimit(signal) {
      if (unlimited && heldUntil <= now()) return Promise.resolve(0);
      const ask: Ask = { at: now(), sleeps, sleeping };
      const turn = tail.then(() => takeTurn(ask, signal));
      tail = turn.catch(() => undefined);
      return turn;
    },
    holdUntil: function holdRateLimit(untilMs) {
      heldUntil = Math.max(heldUntil, untilMs);
    },
  };
}
