import type { IncomingMessage, ServerResponse } from 'node:http';
import { constantTimeEqual } from '../protocol/index.js';
import type { Relay } from '../relay/index.js';
import { type ChangeLog, StoreUnavailableError } from '../store/index.js';
import { isClientGone } from './client-gone.js';
import { checkHost, type HostPolicy, refuseCrossSite } from './host-policy.js';
import { ApiError, isLoopback, sendApiError } from './http.js';
import type { LiveHub } from './live-hub.js';
import type { Logger } from './logger.js';
import type { RecorderMetrics } from './metrics.js';
import type { Mirror } from './mirror/index.js';
import { progressFrames } from './mirror/progress-frames.js';
import { RECONCILE_PATH, serveReconcile } from './mirror/reconcile-route.js';
import { isReadMethod, isReadRoute } from './read-routes.js';
import type { RecentRefusals } from './recent-refusals.js';
import { serveApi } from './routes/api.js';
import { type CallbackDeps, serveCallback } from './routes/callback.js';
import { serveExport } from './routes/export.js';
import { serveHealth } from './routes/health.js';
import { serveRelay } from './routes/relay.js';
import { serveRate } from './routes/stats.js';
import { serveStream } from './routes/stream.js';
import { isUiPath, serveUi } from './routes/ui.js';

/** Everything the recorder's routes read from. */
export interface RouterDeps {
  /** The callback path. */
  path: string;
  callback: CallbackDeps;
  apiToken: string | undefined;
  hosts: HostPolicy;
  log: ChangeLog;
  hub: LiveHub;
  metrics: RecorderMetrics;
  refusals: RecentRefusals;
  relay: Relay | null;
  /** Fill and reconciliation from the REST API; null without REST settings. */
  mirror: Mirror | null;
  /** The OpenAPI document, serialised. */
  openApi: string;
  heartbeatMs: number;
  maxStreamBufferBytes: number;
  streams: Set<ServerResponse>;
  isStopping: () => boolean;
  logger: Logger;
}

/**
 * The recorder's request listener. The callback path is left to its Sign; health probes are open;
 * every other route checks, in order, the API token or a loopback peer, the `Host` (DNS
 * rebinding), and on a write the site the request came from.
 */
export function createRouter(deps: RouterDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { path, apiToken, logger } = deps;
  const health = { log: deps.log, metrics: deps.metrics, isStopping: deps.isStopping };

  function authorize(req: IncomingMessage): void {
    if (apiToken === undefined) {
      if (!isLoopback(req)) {
        throw new ApiError(
          403,
          'loopback_only',
          'the API answers this machine only; start with --api-token to open it',
        );
      }
      return;
    }
    // The scheme is case-insensitive (RFC 9110 §11.1).
    const match = /^bearer +(.+)$/i.exec(req.headers.authorization ?? '');
    if (!constantTimeEqual(match?.[1] ?? '', apiToken)) {
      throw new ApiError(401, 'unauthorized', 'send Authorization: Bearer <api token>');
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse, pathname: string, query: string) {
    if (pathname === '/healthz' || pathname === '/readyz') {
      await serveHealth(health, pathname, res);
      return;
    }
    // The dashboard's files hold no data: with an API token anyone may load them, and the page
    // asks for the token; without one they are loopback-only, like the API.
    if (apiToken === undefined || !isUiPath(pathname)) authorize(req);
    checkHost(deps.hosts, req);
    if (!isReadMethod(req.method)) refuseCrossSite(req);
    const params = new URLSearchParams(query);
    if (pathname.startsWith('/api/relay') && (await serveRelay(deps.relay, req, pathname, params, res)))
      return;
    if (pathname === RECONCILE_PATH) return serveReconcile(deps.mirror, req, res);
    if (!isReadMethod(req.method)) {
      if (!isReadRoute(pathname)) throw new ApiError(404, 'not_found', `no route ${pathname}`);
      throw new ApiError(405, 'method_not_allowed', 'the API is read-only: use GET');
    }
    if (pathname === '/api/stream') {
      const mirror = deps.mirror;
      const stream = {
        log: deps.log,
        hub: deps.hub,
        heartbeatMs: deps.heartbeatMs,
        maxBufferedBytes: deps.maxStreamBufferBytes,
        clients: deps.streams,
        ...(mirror ? { extraFrames: (write: (frame: string) => void) => progressFrames(mirror, write) } : {}),
      };
      return serveStream(stream, req, res, params);
    }
    if (pathname === '/api/openapi.json') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(deps.openApi);
      return;
    }
    if (await serveHealth(health, pathname, res)) return;
    if (pathname === '/api/export') return serveExport({ log: deps.log }, req, res, params);
    if (pathname === '/api/stats/rate')
      return serveRate({ log: deps.log, refusals: deps.refusals }, params, res);
    if (await serveApi({ log: deps.log, refusals: deps.refusals }, pathname, params, res)) return;
    if (serveUi(req, pathname, res)) return;
    throw new ApiError(404, 'not_found', `no route ${pathname}`);
  }

  function fail(req: IncomingMessage, res: ServerResponse, pathname: string, error: unknown): void {
    if (isClientGone(error, req, res)) {
      logger.debug?.('the client went away before its answer', { path: pathname, error });
      return;
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.setHeader('x-content-type-options', 'nosniff');
    if (error instanceof ApiError) return sendApiError(res, error);
    // A read that needed to write first (what the SQLite log writes behind the OK) on a full disk.
    if (error instanceof StoreUnavailableError) {
      return sendApiError(res, new ApiError(503, 'store_unavailable', error.message));
    }
    logger.error(pathname === path ? 'callback request failed' : 'API request failed', {
      path: pathname,
      error,
    });
    sendApiError(res, new ApiError(500, 'internal', 'internal error'));
  }

  function failSafely(req: IncomingMessage, res: ServerResponse, pathname: string, error: unknown): void {
    try {
      fail(req, res, pathname, error);
    } catch (failed) {
      logger.error('request failed', { path: pathname, error: failed });
    }
  }

  return function routeRequest(req, res) {
    const url = req.url ?? '/';
    const at = url.indexOf('?');
    const pathname = at >= 0 ? url.slice(0, at) : url;
    if (pathname === path) {
      // Its answer carries nosniff in its own head (routes/callback.ts).
      serveCallback(deps.callback, req, res, (error) => failSafely(req, res, pathname, error));
      return;
    }
    res.setHeader('x-content-type-options', 'nosniff');
    route(req, res, pathname, at >= 0 ? url.slice(at + 1) : '').catch((error: unknown) =>
      failSafely(req, res, pathname, error),
    );
  };
}
