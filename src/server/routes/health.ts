import type { ServerResponse } from 'node:http';
import type { ChangeLog } from '../../store/index.js';
import { sendJson, sendText } from '../http.js';
import type { RecorderMetrics } from '../metrics.js';

/**
 * `/healthz` (the process is up), `/readyz` (the log answers and can write, not stopping; a store
 * fault answers 503 `{ status: 'log unavailable', fault, error }`), `/metrics`.
 */
export async function serveHealth(
  deps: { log: ChangeLog; metrics: RecorderMetrics; isStopping: () => boolean },
  path: string,
  res: ServerResponse,
): Promise<boolean> {
  if (path === '/healthz') {
    sendJson(res, 200, { status: 'ok' });
    return true;
  }
  if (path === '/readyz') {
    if (deps.isStopping()) {
      sendJson(res, 503, { status: 'stopping' });
      return true;
    }
    const health = deps.log.health?.status();
    if (health?.state === 'fault') {
      sendJson(res, 503, { status: 'log unavailable', fault: health.fault, error: health.message });
      return true;
    }
    try {
      const stats = await deps.log.stats();
      sendJson(res, 200, { status: 'ready', lastSeq: stats.lastSeq });
    } catch (error) {
      sendJson(res, 503, { status: 'log unavailable', error: (error as Error).message });
    }
    return true;
  }
  if (path === '/metrics') {
    sendText(res, 200, await deps.metrics.registry.metrics(), deps.metrics.registry.contentType);
    return true;
  }
  return false;
}
