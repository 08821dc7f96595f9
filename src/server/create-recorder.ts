import type { Server, ServerResponse } from 'node:http';
import { createReceiver } from '../receiver/index.js';
import { createRelay, type DeclaredSink, type Relay, type RelayTiming } from '../relay/index.js';
import {
  type ChangeLog,
  type Durability,
  type GroupCommitOptions,
  openChangeLog,
  openRelayState,
  type RelayState,
  type StoreStatus,
} from '../store/index.js';
import { createHostPolicy } from './host-policy.js';
import { closeConnections, createHttpServer, listen, stopListening } from './http-server.js';
import { createLiveHub, type LiveHub } from './live-hub.js';
import { createLogFollower } from './log-follower.js';
import { createJsonLogger, type Logger } from './logger.js';
import { createRecorderMetrics, createRelayMetrics } from './metrics.js';
import { type Mirror, type MirrorSetup, openMirror } from './mirror/index.js';
import { buildOpenApi } from './openapi/build-openapi.js';
import { createRecentRefusals, type RecentRefusals } from './recent-refusals.js';
import { attachRecorder } from './routes/callback.js';
import { createRouter } from './router.js';

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
  /**
   * An open change log to use instead of `db` (tests, embedding), with its own group commit
   * (`openChangeLog({ groupCommit })`). It is closed on stop.
   */
  log?: ChangeLog;
  /** Require `Authorization: Bearer <apiToken>` on the API, stream, metrics and dashboard. Without it they answer loopback peers only. */
  apiToken?: string;
  /**
   * Names (`NAME` or `NAME:PORT`) the service is reached by besides the loopback names, checked
   * against `Host` on every route but the callback and health probes. With `apiToken` and none
   * given, any `Host` is answered.
   */
  publicHosts?: readonly string[];
  maxSkewSeconds?: number;
  maxBodyBytes?: number;
  /** SSE heartbeat interval, ms. Default 15000. */
  heartbeatMs?: number;
  /** SSE client output buffer limit, bytes. Default 4 MiB. */
  maxStreamBufferBytes?: number;
  /** The group commit of the log the recorder opens from `db`; not with `log`. */
  commit?: GroupCommitOptions;
  logger?: Logger;
  /** Sinks the log is relayed to, secrets read; see `parseSinks` in `timhook/relay`. */
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
  checkOptions(options, tokens, insecureNoToken, path);
  const hosts = createHostPolicy({ publicHosts: options.publicHosts ?? [], anyHost: apiToken !== undefined });
  const log =
    options.log ??
    (await openChangeLog({ db, durability, ...(options.commit ? { groupCommit: options.commit } : {}) }));
  const unwatchHealth = log.health?.onChange((status) => logStoreHealth(logger, status));
  const hub = createLiveHub();
  const refusals = createRecentRefusals();
  const streams = new Set<ServerResponse>();
  let stopping = false;
  const metrics = createRecorderMetrics({
    queueDepth: () => log.waiting(),
    sseClients: () => streams.size,
    logStats: () => log.stats(),
  });
  const follower = createLogFollower(log, hub, {
    lastSeq: (await log.stats()).lastSeq,
    onError: (error) => logger.error('the live stream could not read the log', { error }),
  });
  // Told before the appends are answered: the live stream follows the commits, in their order.
  const stopHearingCommits = log.onCommit((results, ms) => {
    metrics.commitBatch.observe(results.length);
    metrics.commitSeconds.observe(ms / 1000);
    follower.committed(results);
  });
  const receiver = createReceiver({
    sdkAppId,
    tokens,
    ...(options.maxSkewSeconds !== undefined ? { maxSkewSeconds: options.maxSkewSeconds } : {}),
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
    log: (message, error) => logger.error(message, { error }),
  });
  const callbackDeps = { receiver, log, metrics, refusals, logger };
  // Callbacks first: while 100 or more wait for a commit, the relay's loops hold back a little.
  const { relay, relayState } = await openRelay(
    options,
    log,
    metrics.registry,
    logger,
    () => log.waiting() >= 100,
  );
  if (relay) hub.subscribe(() => relay.wake());
  const mirror = options.mirror
    ? await openMirror(options.mirror, {
        db,
        sdkAppId: String(sdkAppId),
        log,
        logger,
        registry: metrics.registry,
      })
    : null;
  if (mirror) hub.subscribe((event) => mirror.mirror.notice(event));
  attachRecorder(callbackDeps);

  const routeRequest = createRouter({
    path,
    callback: callbackDeps,
    apiToken,
    hosts,
    log,
    hub,
    metrics,
    refusals,
    relay,
    mirror: mirror?.mirror ?? null,
    openApi: JSON.stringify(buildOpenApi(path)),
    heartbeatMs,
    maxStreamBufferBytes,
    streams,
    isStopping: () => stopping,
    logger,
  });
  const server = createHttpServer(routeRequest);
  let address = '';

  return {
    async start() {
      address = await listen(server, port, host);
      relay?.start();
      mirror?.mirror.start();
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      const closed = stopListening(server);
      for (const stream of streams) stream.end();
      await mirror?.close();
      await log.drain();
      await relay?.stop();
      stopHearingCommits();
      follower.stop();
      await closeConnections(server, closed);
      await relayState?.close();
      await log.close();
      unwatchHealth?.();
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

/** Refuses, at construction, settings the recorder cannot run with. */
function checkOptions(
  options: RecorderOptions,
  tokens: readonly string[],
  insecure: boolean,
  path: string,
): void {
  if (tokens.length === 0 && !insecure) {
    throw new TypeError(
      '[timhook] no callback token: set the token from the Chat console (--token), or pass --insecure-no-token to accept unsigned callbacks',
    );
  }
  if (!path.startsWith('/') || path.startsWith('/api/')) {
    throw new TypeError('[timhook] the callback path must start with / and not be under /api/');
  }
  if (options.commit && options.log) {
    throw new TypeError('[timhook] `commit` with an open `log`: open the log with its `groupCommit`');
  }
  if (options.mirror && options.log && !options.mirror.state) {
    throw new TypeError('[timhook] a mirror with an open `log`: pass `mirror.state` too');
  }
}

/** One line when the log stops writing (or its fault changes), one when it writes again. */
function logStoreHealth(logger: Logger, status: StoreStatus): void {
  if (status.state === 'ok') {
    logger.info('the change log can be written again');
    return;
  }
  logger.error(`the change log cannot be written (${status.fault}): callbacks are answered FAIL`, {
    fault: status.fault,
    until: status.lasting ? 'restart' : 'the fault clears',
    error: status.cause,
  });
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
