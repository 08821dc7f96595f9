import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { constantTimeEqual } from '../protocol/index.js';
import { createReceiver } from '../receiver/index.js';
import { createRelay, type DeclaredSink, type Relay, type RelayTiming } from '../relay/index.js';
import {
  type ChangeLog,
  type CommitQueueOptions,
  createCommitQueue,
  type Durability,
  openChangeLog,
  openRelayState,
  type RelayState,
} from '../store/index.js';
import { ApiError, isLoopback, sendApiError } from './http.js';
import { createLiveHub, type LiveHub } from './live-hub.js';
import { createLogFollower } from './log-follower.js';
import { createJsonLogger, type Logger } from './logger.js';
import { createRecorderMetrics, createRelayMetrics } from './metrics.js';
import { type Mirror, type MirrorSetup, openMirror } from './mirror/index.js';
import { progressFrames } from './mirror/progress-frames.js';
import { RECONCILE_PATH, serveReconcile } from './mirror/reconcile-route.js';
import { buildOpenApi } from './openapi.js';
import { createRecentRefusals, type RecentRefusals } from './recent-refusals.js';
import { serveApi } from './routes/api.js';
import { attachRecorder, serveCallback } from './routes/callback.js';
import { serveExport } from './routes/export.js';
import { serveHealth } from './routes/health.js';
import { serveRelay } from './routes/relay.js';
import { serveRate } from './routes/stats.js';
import { serveStream } from './routes/stream.js';
import { isUiPath, serveUi } from './routes/ui.js';

/** Settings of the recorder. Only `sdkAppId` is required. */
export interface RecorderOptions {
  sdkAppId: string | number;
  /** Callback tokens (several during rotation). Required unless `insecureNoToken`. */
  tokens?: readonly string[];
  /** Accept unsigned callbacks: only for a console with no token set. Default false. */
  insecureNoToken?: boolean;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 8787; 0 picks a free port. */
  port?: number;
  /** The callback path. Default `/callback`. */
  path?: string;
  /** SQLite file path. Default `./data/timhook.db`. Ignored when `log` is given. */
  db?: string;
  durability?: Durability;
  /** An open change log to use instead of `db` (tests, embedding). It is closed on stop. */
  log?: ChangeLog;
  /** Require `Authorization: Bearer <apiToken>` on the API, stream, metrics and dashboard. Without it they answer loopback peers only. */
  apiToken?: string;
  maxSkewSeconds?: number;
  maxBodyBytes?: number;
  /** SSE heartbeat interval, ms. Default 15000. */
  heartbeatMs?: number;
  /** SSE client output buffer limit, bytes. Default 4 MiB. */
  maxStreamBufferBytes?: number;
  commit?: CommitQueueOptions;
  logger?: Logger;
  /** Sinks the log is relayed to (issue 6), secrets read; see `parseSinks` in `timhook/relay`. */
  sinks?: readonly DeclaredSink[];
  /** Where the relay keeps cursors and dead letters. Default: beside the log in the `db` file. */
  relayState?: RelayState;
  relayTiming?: RelayTiming;
  /** Fill and reconcile profiles from the Chat REST API; the recorder closes what it opened. */
  mirror?: MirrorSetup;
}

/** A running (or ready to run) recorder. */
export interface Recorder {
  start(): Promise<void>;
  /** Stops accepting, commits and answers what is queued, ends streams, closes the log. */
  stop(): Promise<void>;
  /** `http://host:port`, known after `start`. */
  readonly url: string;
  readonly callbackUrl: string;
  readonly log: ChangeLog;
  readonly hub: LiveHub;
  readonly refusals: RecentRefusals;
  readonly server: Server;
  /** The relay to the configured sinks; null when there are none. */
  readonly relay: Relay | null;
  /** Fill and reconciliation from the REST API; null without REST settings. */
  readonly mirror: Mirror | null;
}

/**
 * Creates the recorder service: callback endpoint, change log, JSON API, SSE stream and metrics.
 *
 * @example
 * const recorder = await createRecorder({ sdkAppId: 1400000000, tokens: ['secret'], port: 0 });
 * await recorder.start();
 */
export async function createRecorder(options: RecorderOptions): Promise<Recorder> {
  const {
    sdkAppId,
    tokens = [],
    insecureNoToken = false,
    host = '127.0.0.1',
    port = 8787,
    path = '/callback',
    db = './data/timhook.db',
    durability = 'full',
    apiToken,
    heartbeatMs = 15_000,
    maxStreamBufferBytes = 4 * 1024 * 1024,
    logger = createJsonLogger(),
  } = options;
  if (tokens.length === 0 && !insecureNoToken) {
    throw new TypeError(
      '[timhook] no callback token: set the token from the Chat console (--token), or pass --insecure-no-token to accept unsigned callbacks',
    );
  }
  if (!path.startsWith('/') || path.startsWith('/api/')) {
    throw new TypeError('[timhook] the callback path must start with / and not be under /api/');
  }
  const log = options.log ?? (await openChangeLog({ db, durability }));
  const hub = createLiveHub();
  const refusals = createRecentRefusals();
  const streams = new Set<ServerResponse>();
  let stopping = false;
  // The gauges read the queue at scrape time, after it exists.
  const metrics = createRecorderMetrics({
    queueDepth: () => queue.depth(),
    sseClients: () => streams.size,
    logStats: () => log.stats(),
  });
  const follower = createLogFollower(log, hub, {
    lastSeq: (await log.stats()).lastSeq,
    onError: (error) => logger.error('the live stream could not read the log', { error }),
  });
  const queue = createCommitQueue(log, {
    ...options.commit,
    onCommit(size, ms) {
      metrics.commitBatch.observe(size);
      metrics.commitSeconds.observe(ms / 1000);
    },
    onCommitted: (results) => follower.committed(results),
  });
  const receiver = createReceiver({
    sdkAppId,
    tokens,
    ...(options.maxSkewSeconds !== undefined ? { maxSkewSeconds: options.maxSkewSeconds } : {}),
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
    log: (message, error) => logger.error(message, { error }),
  });
  const callbackDeps = { receiver, queue, metrics, refusals, logger };
  // Callbacks first: while 100 or more wait for a commit, the relay's loops hold back a little.
  const { relay, relayState } = await openRelay(
    options,
    log,
    metrics.registry,
    logger,
    () => queue.depth() >= 100,
  );
  if (relay) hub.subscribe(() => relay.wake());
  if (options.mirror && options.log && !options.mirror.state) {
    throw new TypeError('[timhook] a mirror with an open `log`: pass `mirror.state` too');
  }
  const mirror = options.mirror
    ? await openMirror(options.mirror, {
        db,
        sdkAppId: String(sdkAppId),
        log,
        queue,
        logger,
        registry: metrics.registry,
      })
    : null;
  if (mirror) hub.subscribe((event) => mirror.mirror.notice(event));
  attachRecorder(callbackDeps);
  const openApi = JSON.stringify(buildOpenApi(path));

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
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!constantTimeEqual(given, apiToken)) {
      throw new ApiError(401, 'unauthorized', 'send Authorization: Bearer <api token>');
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const at = url.indexOf('?');
    const pathname = at >= 0 ? url.slice(0, at) : url;
    if (pathname === path) return serveCallback(callbackDeps, req, res);
    const params = new URLSearchParams(at >= 0 ? url.slice(at + 1) : '');
    try {
      if (pathname === '/healthz' || pathname === '/readyz') {
        await serveHealth({ log, metrics, isStopping: () => stopping }, pathname, res);
        return;
      }
      // The dashboard's files hold no data: with an API token anyone may load them, and the page
      // asks for the token; without one they are loopback-only, like the API.
      if (apiToken === undefined || !isUiPath(pathname)) authorize(req);
      if (pathname.startsWith('/api/relay') && (await serveRelay(relay, req, pathname, params, res))) return;
      if (pathname === RECONCILE_PATH) return await serveReconcile(mirror?.mirror ?? null, req, res);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        throw new ApiError(405, 'method_not_allowed', 'the API is read-only: use GET');
      }
      if (pathname === '/api/stream')
        return await serveStream(
          {
            log,
            hub,
            heartbeatMs,
            maxBufferedBytes: maxStreamBufferBytes,
            clients: streams,
            ...(mirror ? { extraFrames: (write) => progressFrames(mirror.mirror, write) } : {}),
          },
          req,
          res,
          params,
        );
      if (pathname === '/api/openapi.json') {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(openApi);
        return;
      }
      if (await serveHealth({ log, metrics, isStopping: () => stopping }, pathname, res)) return;
      if (pathname === '/api/export') return await serveExport({ log }, req, res, params);
      if (pathname === '/api/stats/rate') return await serveRate({ log, refusals }, params, res);
      if (await serveApi({ log, refusals }, pathname, params, res)) return;
      if (serveUi(req, pathname, res)) return;
      throw new ApiError(404, 'not_found', `no route ${pathname}`);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof ApiError) return sendApiError(res, error);
      logger.error('API request failed', { path: pathname, error });
      sendApiError(res, new ApiError(500, 'internal', 'internal error'));
    }
  }

  const server = createServer(
    { keepAlive: true, headersTimeout: 10_000, requestTimeout: 15_000 },
    (req, res) => {
      res.setHeader('x-content-type-options', 'nosniff');
      route(req, res).catch((error: unknown) => {
        logger.error('request failed', { error });
        if (!res.headersSent) sendApiError(res, new ApiError(500, 'internal', 'internal error'));
      });
    },
  );
  // The IM backend keeps connections alive (PROTOCOL.md §1); outlast common proxy idle timeouts.
  server.keepAliveTimeout = 65_000;
  server.maxConnections = 10_000;
  let address = '';

  return {
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const info = server.address() as AddressInfo;
      const shown = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      address = `http://${shown}:${info.port}`;
      relay?.start();
      mirror?.mirror.start();
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      const closed = server.listening
        ? new Promise<void>((resolve) => server.close(() => resolve()))
        : Promise.resolve();
      for (const stream of streams) stream.end();
      await mirror?.close();
      await queue.drain();
      await relay?.stop();
      follower.stop();
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), 5_000);
      force.unref();
      await closed;
      clearTimeout(force);
      await relayState?.close();
      await log.close();
    },
    get url() {
      return address;
    },
    get callbackUrl() {
      return `${address}${path}`;
    },
    log,
    hub,
    refusals,
    server,
    relay,
    mirror: mirror?.mirror ?? null,
  };
}

/** The relay of `options.sinks`, its state beside the log in the `db` database unless given. */
async function openRelay(
  options: RecorderOptions,
  log: ChangeLog,
  registry: ReturnType<typeof createRecorderMetrics>['registry'],
  logger: Logger,
  busy: () => boolean,
): Promise<{ relay: Relay | null; relayState: RelayState | null }> {
  const sinks = options.sinks ?? [];
  if (sinks.length === 0) return { relay: null, relayState: null };
  if (!options.relayState && options.log) {
    throw new TypeError('[timhook] sinks with an open `log`: pass `relayState` too');
  }
  const db = options.db ?? './data/timhook.db';
  const relayState = options.relayState ?? (await openRelayState(db));
  const relay: Relay = createRelay({
    sinks,
    log,
    state: relayState,
    logger,
    observer: createRelayMetrics(registry, () => relay.status()),
    busy,
    ...(options.relayTiming ? { timing: options.relayTiming } : {}),
  });
  // A state the caller gave is the caller's to close.
  return { relay, relayState: options.relayState ? null : relayState };
}
