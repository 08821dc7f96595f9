import type { RestCallEvent, RestMetrics, RestRateLimitWait } from './types.js';

/** Counts attempts and rate-limit waits, and passes each to the user's hooks. */
export interface MetricsRecorder {
  call(event: RestCallEvent): void;
  wait(event: RestRateLimitWait): void;
  snapshot(): RestMetrics;
}

/** A {@link MetricsRecorder}; an exception in a hook is swallowed: metrics never fail a call. */
export function createMetricsRecorder(hooks: {
  onCall?: ((event: RestCallEvent) => void) | undefined;
  onRateLimitWait?: ((event: RestRateLimitWait) => void) | undefined;
}): MetricsRecorder {
  const calls = new Map<string, Map<RestCallEvent['outcome'], number>>();
  const waits = new Map<string, { count: number; totalMs: number }>();
  return {
    call(event) {
      let byOutcome = calls.get(event.api);
      if (!byOutcome) calls.set(event.api, (byOutcome = new Map()));
      byOutcome.set(event.outcome, (byOutcome.get(event.outcome) ?? 0) + 1);
      safely(hooks.onCall, event);
    },
    wait(event) {
      const entry = waits.get(event.api) ?? { count: 0, totalMs: 0 };
      entry.count += 1;
      entry.totalMs += event.waitedMs;
      waits.set(event.api, entry);
      safely(hooks.onRateLimitWait, event);
    },
    snapshot() {
      const out: RestMetrics = { calls: {}, rateLimitWaits: {} };
      for (const [api, byOutcome] of calls) out.calls[api] = Object.fromEntries(byOutcome);
      for (const [api, entry] of waits) out.rateLimitWaits[api] = { ...entry };
      return out;
    },
  };
}

function safely<E>(hook: ((event: E) => void) | undefined, event: E): void {
  try {
    hook?.(event);
  } catch {
    // A metrics hook is the caller's code; its failure must not fail the REST call.
  }
}
