import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { type DeclaredSink, parseSinks, SinkConfigError } from '../../relay/index.js';
import { parseHost } from '../../server/host-policy.js';
import { awaitListening } from '../await-listening.js';
import { type CliCommand, UsageError } from '../command.js';
import type { ConfigFileShape } from '../config-file.js';
import { LOG_LEVEL } from '../log-level.js';
import { parseDuration, REST_SETTINGS, readRestSettings, type RestSettings } from '../rest-settings.js';
import { oneOf, setting, wholeNumber } from '../setting.js';
import { describeSettings, maskSecrets, readSettings } from '../settings.js';
import { waitForStop } from '../wait-for-stop.js';

// What `serve` prints at start (the REST settings are shown as one summary instead).
const RecorderSettings = z.object({
  sdkAppId: setting(
    z
      .string({ error: '--sdk-appid is required: your app’s SDKAppID from the Chat console' })
      .regex(/^\d{1,20}$/, '--sdk-appid must be the numeric SDKAppID'),
    {
      flag: 'sdk-appid',
      placeholder: 'id',
      help: "Your app's SDKAppID, digits only (required); callbacks for any other app are refused.",
    },
  ),
  tokens: setting(z.array(z.string().min(1, '--token must not be empty')).default([]), {
    flag: 'token',
    secret: true,
    help: 'The callback token set in the Chat console; must not be empty. Repeat it during rotation; every one is accepted.',
  }),
  insecureNoToken: setting(z.boolean().default(false), {
    flag: 'insecure-no-token',
    help: 'Accept unsigned callbacks (only for a console with no token set).',
  }),
  host: setting(z.string().min(1, '--host must not be empty').default('127.0.0.1'), {
    flag: 'host',
    help: 'Interface to listen on; 0.0.0.0 for every interface.',
  }),
  port: setting(wholeNumber('port', 0, 65_535).default(8787), {
    flag: 'port',
    help: 'Port to listen on, 0 to 65535; 0 picks a free one.',
  }),
  path: setting(z.string().startsWith('/', '--path must start with /').default('/callback'), {
    flag: 'path',
    help: 'Path of the callback endpoint; starts with / and is not under /api/.',
  }),
  db: setting(z.string().min(1, '--db must not be empty').default('./data/timhook.db'), {
    flag: 'db',
    help: 'The change log: a SQLite file (created with its folder), or a PostgreSQL URL, postgres://user@host:5432/db[?schema=NAME], which several instances can share (the password is best given as PGPASSWORD).',
  }),
  apiToken: setting(z.string().min(8, '--api-token must be at least 8 characters').optional(), {
    flag: 'api-token',
    secret: true,
    help: 'Require "Authorization: Bearer <token>" on the API, stream, metrics and dashboard; at least 8 characters. Without it they answer this machine only.',
  }),
  publicHosts: setting(
    z
      .array(
        z.string().refine((host) => parseHost(host) !== null, '--public-host must be a NAME or NAME:PORT'),
      )
      .default([]),
    {
      flag: 'public-host',
      help: 'A name (NAME, or NAME:PORT for that port only) the API, stream, metrics and dashboard are reached by, besides localhost, 127.0.0.1 and [::1]; a request with another Host is refused (DNS rebinding). With --api-token and no --public-host, any Host is answered. Environment: a comma list.',
    },
  ),
  maxSkew: setting(
    z.coerce.number().positive('--max-skew must be a positive number of seconds').default(60),
    {
      flag: 'max-skew',
      help: 'Seconds RequestTime may differ from this clock, either way; a positive number.',
    },
  ),
  durability: setting(oneOf('durability', ['full', 'normal']).default('full'), {
    flag: 'durability',
    help: 'full: fsync every commit, an OK survives power loss. normal: faster on slow disks, the last commits may be lost on power loss (not on a crash).',
  }),
  maxBody: setting(
    z.coerce.number().int().positive('--max-body must be a positive number of bytes').default(65_536),
    { flag: 'max-body', help: 'Largest callback body, in bytes; a positive whole number.' },
  ),
  ...LOG_LEVEL,
});

const Settings = RecorderSettings.extend({
  ...REST_SETTINGS,
  reconcileEvery: setting(z.string().optional(), {
    flag: 'reconcile-every',
    placeholder: 'duration',
    help: 'Start a reconciliation pass this often: 6h, 30m, 90s. Default: only when asked (POST /api/reconcile, timhook reconcile).',
  }),
});

/** What the config file holds: the recorder's settings, and the `sinks` to relay to. */
export const SERVE_CONFIG_FILE: ConfigFileShape = { settings: [Settings], keys: ['sinks'] };

export type ServeSettings = z.output<typeof Settings> & {
  sinks: DeclaredSink[];
  rest: RestSettings | null;
  reconcileEveryMs: number | null;
};

/** Reads and checks `serve` settings from flags, environment and config file. */
export function readServeSettings(args: string[], env: NodeJS.ProcessEnv): ServeSettings {
  const { settings, configFile } = readSettings(Settings, args, env, { configFile: SERVE_CONFIG_FILE });
  if (settings.tokens.length === 0 && !settings.insecureNoToken) {
    throw new UsageError(
      'no callback token: pass --token (or TIMHOOK_TOKEN) with the token from the Chat console, or --insecure-no-token if the console has none',
    );
  }
  const rest = readRestSettings(settings);
  const every = settings.reconcileEvery;
  if (every && !rest) throw new UsageError('--reconcile-every needs the REST settings (--rest-admin, ...)');
  return {
    ...settings,
    sinks: readSinks(configFile, env),
    rest,
    reconcileEveryMs: every ? parseDuration(every, 'reconcile-every') : null,
  };
}

/** The `sinks` of the config file, their secrets read from the variables they name. */
function readSinks(configFile: string | null, env: NodeJS.ProcessEnv): DeclaredSink[] {
  if (configFile === null) return [];
  // resolveSettings has already checked that the file is a JSON object.
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as { sinks?: unknown };
  try {
    return parseSinks(config.sinks, env);
  } catch (error) {
    if (error instanceof SinkConfigError) throw new UsageError(`config file ${configFile}: ${error.message}`);
    throw error;
  }
}

export const command: CliCommand = {
  summary: 'Run the recorder: verify, durably log and serve every profile change',
  help: `Usage: timhook serve --sdk-appid <id> --token <token> [options]

Receives Tencent Cloud Chat group/topic profile callbacks at POST <path>, verifies them
(SdkAppid, Sign, RequestTime), commits each to the change log before answering OK, and serves
the history: JSON API under /api, live stream at /api/stream, metrics at /metrics.

Options (flags > TIMHOOK_* environment > config file > defaults):
${describeSettings(Settings)}
  --config <file>
      A JSON config file with these settings by name (sdkAppId, host, port, ...); a secret or
      an unknown name in it is refused. Default: ./timhook.config.json when present. Its
      "sinks" array declares where to relay every change (HTTP webhook, NATS JetStream, Redis
      Streams, RabbitMQ); each sink's secret comes from the environment variable it names (see
      docs/relay.md).

Examples:
  timhook serve --sdk-appid 1400000000 --token "$TIM_TOKEN"
  TIMHOOK_TOKEN=secret timhook serve --sdk-appid 1400000000 --host 0.0.0.0 --api-token "$API_TOKEN"
`,
  async run(args) {
    const settings = readServeSettings(args, process.env);
    // Loaded here, not above: `timhook relay` reads SERVE_CONFIG_FILE without loading the recorder.
    const { createJsonLogger, createRecorder } = await import('../../server/index.js');
    const { createMirrorSetup } = await import('../mirror-setup.js');
    const logger = createJsonLogger(undefined, { level: settings.logLevel });
    const recorder = await createRecorder({
      sdkAppId: settings.sdkAppId,
      tokens: settings.tokens,
      insecureNoToken: settings.insecureNoToken,
      host: settings.host,
      port: settings.port,
      path: settings.path,
      db: settings.db,
      durability: settings.durability,
      maxSkewSeconds: settings.maxSkew,
      maxBodyBytes: settings.maxBody,
      ...(settings.apiToken ? { apiToken: settings.apiToken } : {}),
      publicHosts: settings.publicHosts,
      sinks: settings.sinks,
      logger,
      ...(settings.rest
        ? {
            mirror: createMirrorSetup(settings.rest, settings.sdkAppId, {
              reconcileEveryMs: settings.reconcileEveryMs,
            }),
          }
        : {}),
    });
    // Trap signals before listening, so a Ctrl-C right after start still stops gracefully.
    const starting = recorder.start();
    const stopped = waitForStop(async () => {
      logger.info('stopping: committing queued callbacks');
      await recorder.stop();
      logger.info('stopped');
    }, starting);
    await awaitListening(starting, { host: settings.host, port: settings.port, portFlag: '--port' }, () =>
      recorder.stop(),
    );
    const { sinks, rest, reconcileEveryMs: every } = settings;
    const shown = {
      ...maskSecrets(RecorderSettings, { ...settings, db: maskUrlPassword(settings.db) }),
      rest: rest
        ? { admin: rest.admin, secretKey: '***', target: rest.region ?? rest.baseUrl, every }
        : 'off (callbacks only)',
      sinks: sinks.map(({ settings: sink }) => `${sink.name} (${sink.type})`),
    };
    process.stdout.write(
      `timhook recorder listening on ${recorder.url}\n` +
        `settings: ${JSON.stringify(shown)}\n` +
        `callback URL for the Chat console: ${recorder.callbackUrl}\n` +
        (settings.host === '127.0.0.1' || settings.host === 'localhost'
          ? '  (this machine only: put it behind your public HTTPS endpoint, or listen with --host 0.0.0.0)\n'
          : '') +
        `API: ${recorder.url}/api/events   stream: ${recorder.url}/api/stream   follow it: timhook tail --url ${recorder.url}\n`,
    );
    logger.info('recorder started', { url: recorder.url });
    return stopped;
  },
};

/** A database URL fit to print: its password masked. */
export function maskUrlPassword(db: string): string {
  if (!/^postgres(ql)?:\/\//.test(db)) return db;
  try {
    const url = new URL(db);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return db.replace(/:[^:@/]*@/, ':***@');
  }
}
