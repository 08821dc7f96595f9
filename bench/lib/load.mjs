// One load generator for every server: autocannon, with each response's exact latency kept (its
// own histogram rounds to whole milliseconds).
import autocannon from 'autocannon';

/**
 * Runs autocannon against `url` for `duration` seconds. `setupRequest` builds each request.
 * `url` may be an array of URLs: connection i then goes to URL i mod n (round-robin over servers).
 * Returns req/s and exact latency percentiles (ms) of 2xx answers, with every failure counted.
 */
export async function runLoad({ url, connections = 50, duration = 10, setupRequest, headers = {} }) {
  const latencies = [];
  const instance = autocannon({
    url,
    connections,
    duration,
    headers: { 'content-type': 'application/json', ...headers },
    requests: [{ setupRequest }],
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  const seconds = (result.finish - result.start) / 1000;
  return {
    rps: result.requests.total / seconds,
    ok: result['2xx'],
    sent: result.requests.sent,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies.length > 0 ? latencies[latencies.length - 1] : Number.NaN,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes: result.statusCodeStats,
  };
}

/** The `q` quantile of sorted values (nearest rank). */
export function percentile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** The median of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
