import {
  applyConfigPatch,
  createDefaultConfig,
  type EmulatorConfig,
  type EmulatorConfigPatch,
  parseConfigPatch,
} from './config.js';

/**
 * The secret key used when none is given. It is public (it is in docs/emulator.md), so the emulator's
 * UserSigs protect nothing unless you pass your own `secretKey`.
 */
export const DEFAULT_SECRET_KEY = 'timhook-emulator-default-secret-key';

/** The SDKAppID used when none is given (the one of the official generator's example). */
export const DEFAULT_SDK_APP_ID = '1400000000';

/**
 * Settings of an emulator. Every field has a default; the console settings (callback URL, token,
 * switches, limits, …) can also be changed while it runs, with `configure()` or
 * `PUT /emulator/config`.
 */
export interface EmulatorOptions extends EmulatorConfigPatch {
  /** Address to listen on. Default `127.0.0.1` (loopback only). */
  host?: string;
  /** Port to listen on; 0 (the default) asks the OS for a free one. */
  port?: number;
  /** The app's SDKAppID. Default `1400000000`. */
  sdkAppId?: string | number;
  /** The app's secret key, which UserSigs are checked with. Default {@link DEFAULT_SECRET_KEY}. */
  secretKey?: string;
  /** Largest REST or client request body, in bytes. Default 262144. */
  maxBodyBytes?: number;
  /** Most connections open to the callback receiver at once. Default 32. */
  maxConnections?: number;
  /** Delivery attempts kept for `GET /emulator/deliveries`. Default 1000. */
  deliveryLogSize?: number;
  /** The clock, ms since the epoch: UserSig expiry, `EventTime`, `RequestTime`. Default `Date.now`. */
  now?: () => number;
  /** Where unexpected errors are reported. Default `console.error`. */
  log?: (message: string, error: unknown) => void;
}

/** {@link EmulatorOptions} with every default filled in. */
export interface ResolvedEmulatorOptions {
  host: string;
  port: number;
  sdkAppId: string;
  secretKey: string;
  maxBodyBytes: number;
  maxConnections: number;
  deliveryLogSize: number;
  now: () => number;
  log: (message: string, error: unknown) => void;
  config: EmulatorConfig;
}

/** Fills in defaults; misuse throws a `[timhook]` TypeError at construction, not at first use. */
export function resolveEmulatorOptions(options: EmulatorOptions = {}): ResolvedEmulatorOptions {
  const {
    host = '127.0.0.1',
    port = 0,
    sdkAppId = DEFAULT_SDK_APP_ID,
    secretKey = DEFAULT_SECRET_KEY,
    maxBodyBytes = 262_144,
    maxConnections = 32,
    deliveryLogSize = 1000,
    now = Date.now,
    log = (message, error) => console.error(message, error),
    ...patch
  } = options;
  const appId = String(sdkAppId);
  if (!/^[1-9]\d{0,11}$/.test(appId)) {
    throw new TypeError('[timhook] `sdkAppId` must be a positive whole number, like 1400000000');
  }
  if (typeof secretKey !== 'string' || secretKey === '') {
    throw new TypeError('[timhook] `secretKey` must be a non-empty string');
  }
  if (!(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    throw new TypeError('[timhook] `port` must be a whole number from 0 to 65535');
  }
  for (const [name, value] of Object.entries({ maxBodyBytes, maxConnections })) {
    if (!(Number.isInteger(value) && value > 0)) {
      throw new TypeError(`[timhook] \`${name}\` must be a positive whole number`);
    }
  }
  if (!(Number.isInteger(deliveryLogSize) && deliveryLogSize >= 0)) {
    throw new TypeError('[timhook] `deliveryLogSize` must be a whole number from 0');
  }
  const parsed = parseConfigPatch(patch);
  if (!parsed.ok) throw new TypeError(`[timhook] invalid emulator option: ${parsed.problems.join('; ')}`);
  return {
    host,
    port,
    sdkAppId: appId,
    secretKey,
    maxBodyBytes,
    maxConnections,
    deliveryLogSize,
    now,
    log,
    config: applyConfigPatch(createDefaultConfig(), parsed.patch),
  };
}
