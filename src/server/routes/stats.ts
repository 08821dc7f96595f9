import type { ServerResponse } from 'node:http';
import type { ChangeLog } from '../../store/index.js';
import { readTime } from '../api-params.js';
import { ApiError, sendJson } from '../http.js';
import type { RecentRefusals } from '../recent-refusals.js';

/** Most buckets one answer holds (a day by the minute). */
const MAX_BUCKETS = 1440;

/**
 * `GET /api/stats/rate?since=&until=&bucket=`: recorded callbacks per bucket (default: per minute,
 * over the last hour, the last bucket being the current minute), counted from the log so it
 * survives restarts, and the refused ones per bucket from the recent refusals (kept in memory:
 * since the start, the last 200). Every bucket is listed, empty ones as 0.
 */
export async function serveRate(
  deps: { log: ChangeLog; refusals: RecentRefusals; now?: () => number },
  params: URLSearchParams,
  res: ServerResponse,
): Promise<void> {
  const bucketText = params.get('bucket');
  const bucketMs = bucketText === null || bucketText === '' ? 60_000 : Number(bucketText);
  if (!Number.isInteger(bucketMs) || bucketMs < 1000 || bucketMs > 86_400_000) {
    throw new ApiError(400, 'bad_parameter', 'bucket must be 1000 to 86400000 ms');
  }
  const now = (deps.now ?? Date.now)();
  const until = readTime(params, 'until') ?? (Math.floor(now / bucketMs) + 1) * bucketMs;
  const since = readTime(params, 'since') ?? until - 60 * bucketMs;
  if (since >= until) throw new ApiError(400, 'bad_parameter', 'since must be before until');
  const count = Math.ceil((until - since) / bucketMs);
  if (count > MAX_BUCKETS) {
    throw new ApiError(
      400,
      'bad_parameter',
      `at most ${MAX_BUCKETS} buckets: widen bucket or narrow the range`,
    );
  }
  const buckets = Array.from({ length: count }, (_, i) => ({
    start: since + i * bucketMs,
    count: 0,
    refused: 0,
  }));
  for (const bucket of await deps.log.countByTime({ since, until, bucketMs })) {
    const slot = buckets[Math.floor((bucket.start - since) / bucketMs)];
    if (slot) slot.count += bucket.count;
  }
  for (const refusal of deps.refusals.list()) {
    if (refusal.at < since || refusal.at >= until) continue;
    const slot = buckets[Math.floor((refusal.at - since) / bucketMs)];
    if (slot) slot.refused++;
  }
  sendJson(res, 200, {
    since,
    until,
    bucketMs,
    total: buckets.reduce((sum, b) => sum + b.count, 0),
    refused: buckets.reduce((sum, b) => sum + b.refused, 0),
    buckets,
  });
}
