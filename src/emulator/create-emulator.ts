import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CLIENT_PREFIX, handleClient } from './client-routes.js';
import { type EmulatorConfig, type EmulatorConfigPatch, parseConfigPatch } from './config.js';
import {
  CONFIG_PATH,
  DELIVERIES_PATH,
  describeConfig,
  handleConfig,
  handleDeliveries,
} from './console-routes.js';
import { type ChatAnswer, chatFailure, type EmulatorCore, updateConfig } from './core.js';
import { createDeliveryLog, type DeliveryFilter, type DeliveryRecord } from './delivery-log.js';
import { createDispatcher } from './dispatcher.js';
import { ErrorCodes } from './errors.js';
import { sendApiError, sendJson } from './http-io.js';
import { type EmulatorOptions, resolveEmulatorOptions } from './options.js';
import { createRateLimiter } from './rate-limits.js';
import { handleRest, REST_PREFIX } from './rest-routes.js';
import { createSeededRandom } from './seeded-random.js';
import { handleSilent, SILENT_PREFIX } from './silent-routes.js';
import { createState } from './state.js';
import { createUserSigVerifier, generateUserSig } from './user-sig.js';

/** A running (or ready to run) stand-in for the Chat backend. */
export interface Emulator {
  /** `http://host:port` once started; reading it before `start()` throws. */
  readonly url: string;
  readonly sdkAppId: string;
  /** Listens (on a free loopback port by default) and resolves to {@link Emulator.url}. */
  start(): Promise<string>;
  /** Stops listening, drops queued callbacks, aborts those in flight. Final: it cannot start again. */
  stop(): Promise<void>;
  /** The console settings in force (a copy). */
  config(): EmulatorConfig;
  /** Changes console settings, like `PUT /emulator/config`; a bad patch throws a TypeError. */
  configure(patch: EmulatorConfigPatch): EmulatorConfig;
  /** Delivery attempts, newest first. */
  deliveries(filter?: DeliveryFilter): DeliveryRecord[];
  /** Calls `listener` after each delivery attempt; returns the unsubscribe function. */
  onDelivery(listener: (record: DeliveryRecord) => void): () => void;
  /** Resolves once every callback queued so far has been delivered (or given up). */
  idle(): Promise<void>;
  /** A valid UserSig for `identifier` (default the first admin), made with the app's secret key. */
  userSig(identifier?: string, expireSeconds?: number): string;
  /** The full REST URL of `service/command`, signed for `identifier` (default the first admin). */
  restUrl(command: string, identifier?: string): string;
  /** Calls the REST API over HTTP, as an app backend would. */
  rest(command: string, body: unknown, options?: { identifier?: string }): Promise<ChatAnswer>;
  /** Makes a change as a simulated app user (`Operator_Account` in `body`), over HTTP. */
  client(command: string, body: unknown): Promise<ChatAnswer>;
  /**
   * Makes a change with no callback at all (`modify_group_base_info` or `modify_topic`, the REST
   * body), over HTTP: the truth moves and a recorder's copy silently drifts.
   */
  silent(command: string, body: unknown): Promise<ChatAnswer>;
}

/**
 * Creates a local Chat backend: the REST API with UserSig auth, limits and error codes, a client
 * face for simulated users, and a dispatcher that fires the documented callbacks, signed, with
 * the 2 s timeout (docs/protocol.md).
 *
 * @example
 * const emulator = createEmulator({ callbackUrl: 'http://127.0.0.1:8080/callback', callbackToken: 'tok' });
 * await emulator.start();
 * const { GroupId } = await emulator.rest('group_open_http_svc/create_group', { Type: 'Public', Name: 'Ops' });
 * await emulator.rest('group_open_http_svc/modify_group_base_info', { GroupId, Notification: 'Hi' });
 * await emulator.idle(); // the callbacks have arrived
 * await emulator.stop();
 */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const resolved = resolveEmulatorOptions(options);
  const deliveries = createDeliveryLog(resolved.deliveryLogSize, resolved.log);
  const core: EmulatorCore = {
    sdkAppId: resolved.sdkAppId,
    secretKey: resolved.secretKey,
    userSigs: createUserSigVerifier(resolved.sdkAppId, resolved.secretKey),
    state: createState(),
    config: resolved.config,
    now: resolved.now,
    deliveries,
    dispatcher: createDispatcher({
      settings: () => ({
        timeoutMs: core.config.timeoutMs,
        retryOnTimeout: core.config.retryOnTimeout,
        retryIntervalMs: core.config.retryIntervalMs,
        contentType: core.config.callbackContentType,
      }),
      log: deliveries,
      now: resolved.now,
      maxSockets: resolved.maxConnections,
    }),
    maxBodyBytes: resolved.maxBodyBytes,
    log: resolved.log,
    rateLimiter: createRateLimiter(),
    random: createSeededRandom(resolved.config.seed),
  };
  const server = createServer(
    { requestTimeout: 30_000, headersTimeout: 20_000, keepAliveTimeout: 5_000 },
    (req, res) => {
      route(req, res).catch((error: unknown) => answerUnexpected(req, res, error));
    },
  );
  let baseUrl: string | null = null;
  let state: 'new' | 'started' | 'stopped' = 'new';

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const path = url.pathname;
    if (path.startsWith(REST_PREFIX)) return handleRest(core, req, res, url);
    if (path.startsWith(CLIENT_PREFIX)) return handleClient(core, req, res, url);
    if (path.startsWith(SILENT_PREFIX)) return handleSilent(core, req, res, url);
    if (path === CONFIG_PATH) return handleConfig(core, req, res);
    if (path === DELIVERIES_PATH) return handleDeliveries(core, req, res, url);
    if (path === '/' && req.method === 'GET') return sendJson(res, 200, describeEndpoints());
    sendApiError(res, 404, 'not_found', `no route ${req.method} ${path}; GET / lists the endpoints`);
  }

  function answerUnexpected(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    resolved.log('[timhook] emulator: unexpected error while serving a request', error);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const chat = [REST_PREFIX, CLIENT_PREFIX, SILENT_PREFIX].some((prefix) => req.url?.startsWith(prefix));
    if (chat) {
      sendJson(res, 200, chatFailure(ErrorCodes.Internal, 'internal error'), true);
    } else {
      sendApiError(res, 500, 'internal', 'internal error');
    }
  }

  function describeEndpoints(): Record<string, unknown> {
    return {
      name: 'timhook emulator',
      sdkAppId: core.sdkAppId,
      rest: `POST ${REST_PREFIX}<service>/<command>?sdkappid=&identifier=&usersig=&random=&contenttype=json`,
      client: `POST ${CLIENT_PREFIX}{modify_group_base_info,modify_topic}`,
      silent: `POST ${SILENT_PREFIX}{modify_group_base_info,modify_topic}`,
      config: `GET, PUT ${CONFIG_PATH}`,
      deliveries: `GET, DELETE ${DELIVERIES_PATH}`,
      console: describeConfig(core),
    };
  }

  function requireUrl(): string {
    if (baseUrl === null)
      throw new TypeError('[timhook] the emulator is not started: await emulator.start() first');
    return baseUrl;
  }

  function userSig(identifier = core.config.admins[0]!, expireSeconds = 86_400): string {
    return generateUserSig({
      sdkAppId: core.sdkAppId,
      secretKey: core.secretKey,
      identifier,
      expireSeconds,
      nowMs: core.now(),
    });
  }

  function restUrl(command: string, identifier = core.config.admins[0]!): string {
    const params = new URLSearchParams({
      sdkappid: core.sdkAppId,
      identifier,
      usersig: userSig(identifier),
      random: String(Math.floor(Math.random() * 4_294_967_295)),
      contenttype: 'json',
    });
    return `${requireUrl()}${REST_PREFIX}${command}?${params}`;
  }

  async function post(url: string, body: unknown): Promise<ChatAnswer> {
    const response = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
    return (await response.json()) as ChatAnswer;
  }

  return {
    get url() {
      return requireUrl();
    },
    sdkAppId: core.sdkAppId,
    async start() {
      if (state === 'stopped') throw new TypeError('[timhook] a stopped emulator cannot start again');
      if (state === 'started') return requireUrl();
      state = 'started';
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(resolved.port, resolved.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const { port } = server.address() as AddressInfo;
      const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
      baseUrl = `http://${host}:${port}`;
      return baseUrl;
    },
    async stop() {
      if (state === 'stopped') return;
      const wasStarted = state === 'started';
      state = 'stopped';
      core.dispatcher.close();
      if (!wasStarted) return;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    config: () => structuredClone(core.config),
    configure(patch) {
      const parsed = parseConfigPatch(patch);
      if (!parsed.ok) throw new TypeError(`[timhook] invalid emulator config: ${parsed.problems.join('; ')}`);
      updateConfig(core, parsed.patch);
      return structuredClone(core.config);
    },
    deliveries: (filter) => deliveries.list(filter),
    onDelivery: (listener) => deliveries.subscribe(listener),
    idle: () => core.dispatcher.idle(),
    userSig,
    restUrl,
    rest: (command, body, opts = {}) => post(restUrl(command, opts.identifier), body),
    client: (command, body) => post(`${requireUrl()}${CLIENT_PREFIX}${command}`, body),
    silent: (command, body) => post(`${requireUrl()}${SILENT_PREFIX}${command}`, body),
  };
}
