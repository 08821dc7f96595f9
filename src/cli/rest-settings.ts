import { z } from 'zod';
import { UsageError } from './command.js';
import { setting } from './setting.js';

/** The settings of the REST API, shared by `serve` and `reconcile`. */
export const REST_SETTINGS = {
  restAdmin: setting(z.string().optional(), {
    flag: 'rest-admin',
    help: 'An app admin account (Chat console: App admin) the recorder calls the REST API as, to fill and reconcile profiles. With --rest-secret-key and --rest-region or --rest-url.',
  }),
  restSecretKey: setting(z.string().optional(), {
    flag: 'rest-secret-key',
    secret: true,
    help: "The app's secret key (Chat console: basic information), to sign the admin's UserSig. Never printed; not allowed in the config file.",
  }),
  restRegion: setting(z.string().optional(), {
    flag: 'rest-region',
    help: "The app's data centre: cn, sgp, kr, ger, usa, ind, idn, jpn, ksa (its documented REST domain).",
  }),
  restUrl: setting(z.string().optional(), {
    flag: 'rest-url',
    help: 'Any REST base URL instead of a region, e.g. an emulator: http://127.0.0.1:9000',
  }),
  restRateLimits: setting(z.array(z.string()).optional(), {
    flag: 'rest-rate-limit',
    help: 'Calls per second of one REST API over its documented limit, as API=N: get_group_info=100. Repeatable.',
  }),
};

/** The REST settings as given, before {@link readRestSettings} checks them together. */
export type RestValues = z.output<z.ZodObject<typeof REST_SETTINGS>>;

/** The REST settings, checked. */
export interface RestSettings {
  admin: string;
  secretKey: string;
  region?: string;
  baseUrl?: string;
  /** By `<service>/<command>`. */
  rateLimits: Record<string, number>;
}

const REGIONS = ['cn', 'sgp', 'kr', 'ger', 'usa', 'ind', 'idn', 'jpn', 'ksa'];
const SERVICES: Record<string, string> = {
  get_appid_group_list: 'group_open_http_svc',
  get_group_info: 'group_open_http_svc',
  get_topic: 'million_group_open_http_svc',
};

/** Reads `6h`, `30m`, `90s`, `500ms`, `1d` as ms. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const ms = match ? Number(match[1]) * units[match[2]!]! : Number.NaN;
  if (!(ms >= 1000)) throw new UsageError(`--${flag} must be a duration of at least 1s, like 6h, 30m or 90s`);
  return ms;
}

/**
 * The REST settings when any is given (all three of admin, secret key and region or URL are then
 * required), else null: the recorder then records callbacks only.
 */
export function readRestSettings(values: RestValues): RestSettings | null {
  const { restAdmin: admin, restSecretKey: secretKey, restRegion: region, restUrl: baseUrl } = values;
  if (!admin && !secretKey && !region && !baseUrl) return null;
  const missing = [
    !admin && '--rest-admin (an app admin account)',
    !secretKey && '--rest-secret-key (or TIMHOOK_REST_SECRET_KEY: the app secret key)',
    !region && !baseUrl && '--rest-region or --rest-url',
  ].filter(Boolean);
  if (missing.length > 0) throw new UsageError(`the REST API needs ${missing.join(', ')}`);
  if (region && baseUrl) throw new UsageError('give --rest-region or --rest-url, not both');
  if (region && !REGIONS.includes(region)) {
    throw new UsageError(`--rest-region must be one of ${REGIONS.join(', ')}`);
  }
  if (baseUrl && !z.url({ protocol: /^https?$/ }).safeParse(baseUrl).success) {
    throw new UsageError('--rest-url must be an http:// or https:// URL');
  }
  const rateLimits: Record<string, number> = {};
  for (const item of values.restRateLimits ?? []) {
    const match = /^([a-z_]+)=(\d+(?:\.\d+)?)$/.exec(item);
    const service = match ? SERVICES[match[1]!] : undefined;
    if (!match || !service || !(Number(match[2]) > 0)) {
      throw new UsageError(
        `--rest-rate-limit ${item}: use API=N with API one of ${Object.keys(SERVICES).join(', ')} and N calls per second`,
      );
    }
    rateLimits[`${service}/${match[1]}`] = Number(match[2]);
  }
  return {
    admin: admin!,
    secretKey: secretKey!,
    ...(region ? { region } : {}),
    ...(baseUrl ? { baseUrl } : {}),
    rateLimits,
  };
}
