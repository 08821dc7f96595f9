import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/rest/index.js';

/** The most grants any window of `windowMs` holds. */
function busiestWindow(times: number[], windowMs: number): number {
  let most = 0;
  for (let i = 0; i < times.length; i++) {
    let count = 0;
    for (let j = i; j < times.length && times[j]! - times[i]! < windowMs; j++) count++;
    most = Math.max(most, count);
  }
  return most;
}

describe('createRateLimiter', () => {
  it('lets a second’s worth go at once, then never more than the rate in any second', async () => {
    const limiter = createRateLimiter(20);
    const grants: number[] = [];
    const waits = await Promise.all(
      Array.from({ length: 45 }, () => limiter.acquire().then((waited) => (grants.push(Date.now()), waited))),
    );
    expect(waits.slice(0, 20)).toEqual(Array(20).fill(0));
    expect(waits.slice(20).filter((waited) => waited === 0)).toEqual([]);
    expect(busiestWindow(grants, 1000)).toBe(20);
  });

  it('holds every call until the given time, after an over-limit answer', async () => {
    const limiter = createRateLimiter(Infinity);
    expect(await limiter.acquire()).toBe(0);
    const until = Date.now() + 300;
    limiter.holdUntil(until);
    await limiter.acquire();
    expect(Date.now()).toBeGreaterThanOrEqual(until);
  });

  it('gives a rate under one a second one call per 1/rate seconds', async () => {
    const limiter = createRateLimiter(0.9);
    const first = Date.now();
    expect(await limiter.acquire()).toBe(0);
    await limiter.acquire();
    expect(Date.now() - first).toBeGreaterThanOrEqual(1111);
  });

  it('ends a wait when its signal aborts', async () => {
    const limiter = createRateLimiter(1);
    await limiter.acquire();
    const controller = new AbortController();
    const pending = limiter.acquire(controller.signal);
    controller.abort();
    await expect(pending).rejects.toThrow();
    // The limiter still serves the next caller, once the window has passed.
    expect(await limiter.acquire()).toBeGreaterThan(0);
  });

  it('refuses a rate that is not a positive number', () => {
    for (const rate of [0, -1, Number.NaN]) {
      expect(() => createRateLimiter(rate)).toThrow(/\[timhook\] a REST rate limit/);
    }
  });
});
