/** Exponential backoff bounds. */
export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * The wait before attempt `attempt + 1`: doubling from `initialDelayMs`, capped at `maxDelayMs`,
 * with "equal jitter" (half fixed, half random) so that sinks failing together do not retry in step.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(
    options.maxDelayMs,
    options.initialDelayMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30),
  );
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Reads `Retry-After`: seconds, or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
