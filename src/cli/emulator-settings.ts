import { z } from 'zod';
import {
  type CallbackSwitches,
  DEFAULT_RATE_LIMITS,
  DEFAULT_SECRET_KEY,
  type EmulatorOptions,
  resolveCommandName,
} from '../emulator/index.js';
import { UsageError } from './command.js';
import { commaList, oneOf, setting, wholeNumber } from './setting.js';
import { readSettings } from './settings.js';

const SWITCH_NAMES: Readonly<Record<string, keyof CallbackSwitches>> = {
  info: 'groupInfo',
  'create-group': 'createGroup',
  'destroy-group': 'groupDestroyed',
  'create-topic': 'createTopic',
  'destroy-topic': 'topicDestroyed',
};

/** The settings of `timhook emulator`: flags, `TIMHOOK_*` variables and defaults. */
export const EmulatorSettingsSchema = z.object({
  // Host and port are flags only: TIMHOOK_PORT and TIMHOOK_HOST belong to `timhook serve`.
  host: setting(z.string().min(1, '--host must not be empty').default('127.0.0.1'), {
    flag: 'host',
    env: false,
    help: 'Interface to listen on.',
  }),
  port: setting(wholeNumber('port', 0, 65_535).default(8788), {
    flag: 'port',
    env: false,
    help: 'Port, 0 to 65535; 0 picks a free one.',
  }),
  sdkAppId: setting(
    z
      .string()
      .regex(/^[1-9]\d{0,11}$/, '--sdk-appid must be the numeric SDKAppID')
      .default('1400000000'),
    { flag: 'sdk-appid', help: 'The emulated app’s SDKAppID: 1 to 12 digits, not starting with 0.' },
  ),
  secretKey: setting(z.string().min(1, '--secret-key must not be empty').optional(), {
    flag: 'secret-key',
    secret: true,
    help: `The app’s secret key, which REST UserSigs must be signed with. Default: the public key "${DEFAULT_SECRET_KEY}".`,
  }),
  admins: setting(
    commaList(z.array(z.string().min(1, '--admin must not be empty')).min(1)).default(['administrator']),
    {
      flag: 'admin',
      help: 'An app admin: the only identifiers the REST API accepts (60010 for others).',
    },
  ),
  callbackUrl: setting(
    z
      .string()
      .refine(
        (s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol),
        '--callback-url must be an http(s) URL',
      )
      .optional(),
    {
      flag: 'callback-url',
      help: 'Where callbacks go, an http:// or https:// URL (your receiver, or `timhook serve`’s /callback). None: no callbacks.',
    },
  ),
  callbackToken: setting(z.string().min(1, '--callback-token must not be empty').optional(), {
    flag: 'callback-token',
    secret: true,
    help: 'The console’s callback token: callbacks then carry Sign = sha256(token + RequestTime).',
  }),
  callbacks: setting(commaList(z.array(z.string())).default(['all']), {
    flag: 'callbacks',
    help: 'Callbacks switched on: all, none, or any of info (group and topic profile, one switch), create-group, destroy-group, create-topic, destroy-topic.',
  }),
  limits: setting(oneOf('limits', ['default', 'newer']).default('default'), {
    flag: 'limits',
    help: 'Group byte limits: default (Name 30, Introduction 240, Notification 300, FaceUrl 100) or newer (100/400/400/500).',
  }),
  customFieldKeys: setting(
    commaList(
      z.array(z.string().regex(/^[A-Za-z0-9_]{1,16}$/, '--custom-field keys are 1–16 letters, digits or _')),
    ).default([]),
    {
      flag: 'custom-field',
      help: 'Declare a group custom-field key (letters, digits, _; up to 16). Undeclared keys are refused with 10004.',
    },
  ),
  documentedTopicBody: setting(z.boolean().default(false), {
    flag: 'documented-topic-body',
    help: 'Send the topic callback exactly as documented: no TopicId, no EventTime (same as --topic-body documented).',
  }),
  topicBody: setting(
    oneOf('topic-body', ['extended', 'documented', 'topic-as-group-id']).default('extended'),
    {
      flag: 'topic-body',
      help: 'Topic callback shape: extended (adds TopicId and EventTime), documented, or topic-as-group-id.',
    },
  ),
  unchangedFields: setting(oneOf('unchanged-fields', ['omit', 'send']).default('omit'), {
    flag: 'unchanged-fields',
    help: 'A field set to its current value: omit (left out; no callback when nothing changed) or send.',
  }),
  emptyCustomValue: setting(oneOf('empty-custom-value', ['set', 'delete']).default('set'), {
    flag: 'empty-custom-value',
    help: 'A custom field set to "": set (kept, empty) or delete.',
  }),
  eventTimeFormat: setting(oneOf('event-time', ['number', 'string']).default('number'), {
    flag: 'event-time',
    help: 'EventTime (ms) as a JSON number or a numeric string.',
  }),
  callbackContentType: setting(z.string().min(1).optional(), {
    flag: 'callback-content-type',
    help: 'A Content-Type header for callbacks. Default: none, as the documented example shows.',
  }),
  timeoutMs: setting(wholeNumber('timeout-ms', 1, 60_000).default(2000), {
    flag: 'timeout-ms',
    help: 'How long a callback waits for its answer, in ms: 1 to 60000.',
  }),
  retryOnTimeout: setting(wholeNumber('retry-on-timeout', 0, 10).default(0), {
    flag: 'retry-on-timeout',
    help: 'Re-send a callback that timed out up to N times, 0 to 10 (the console’s retry option; 0 = off, as by default).',
  }),
  retryIntervalMs: setting(wholeNumber('retry-interval-ms', 0, 60_000).default(1000), {
    flag: 'retry-interval-ms',
    help: 'Wait before each re-send, in ms: 0 to 60000.',
  }),
  rateLimit: setting(commaList(z.array(z.string())).default([]), {
    flag: 'rate-limit',
    help: 'Change one API’s limit: COMMAND=N (calls per second) or COMMAND=off, e.g. get_group_info=50. Defaults as documented: get_appid_group_list 1, get_group_info 200, get_topic 200; over it the API answers 60007.',
  }),
  noRateLimits: setting(z.boolean().default(false), {
    flag: 'no-rate-limits',
    help: 'No per-API limit at all (each --rate-limit still applies).',
  }),
  dropCallbacks: setting(
    z.coerce
      .number({ error: '--drop-callbacks must be a fraction from 0 to 1' })
      .min(0, '--drop-callbacks must be a fraction from 0 to 1')
      .max(1, '--drop-callbacks must be a fraction from 0 to 1')
      .default(0),
    {
      flag: 'drop-callbacks',
      help: 'Lose this fraction of callbacks (0 to 1, e.g. 0.2): never sent, logged as "dropped" in the deliveries.',
    },
  ),
  silentChanges: setting(z.boolean().default(false), {
    flag: 'silent-changes',
    help: 'Profile changes fire no callback at all (creations and destructions still do).',
  }),
  seed: setting(wholeNumber('seed', 0, 4_294_967_295).optional(), {
    flag: 'seed',
    help: 'Seed the randomness of --drop-callbacks (a whole number), so a run loses the same callbacks again. Default: a random seed.',
  }),
  quiet: setting(z.boolean().default(false), {
    flag: 'quiet',
    env: false,
    help: 'Do not print a line per delivery attempt.',
  }),
});

/** The checked settings of `timhook emulator`. */
export type EmulatorSettings = z.output<typeof EmulatorSettingsSchema>;

/** Reads and checks `emulator` settings from flags and the `TIMHOOK_*` environment. */
export function readEmulatorSettings(args: string[], env: NodeJS.ProcessEnv): EmulatorSettings {
  return readSettings(EmulatorSettingsSchema, args, env).settings;
}

/** The emulator options the settings ask for (a pure function, for tests). */
export function toEmulatorOptions(settings: EmulatorSettings): EmulatorOptions {
  return {
    host: settings.host,
    port: settings.port,
    sdkAppId: settings.sdkAppId,
    ...(settings.secretKey ? { secretKey: settings.secretKey } : {}),
    admins: settings.admins,
    callbackUrl: settings.callbackUrl ?? null,
    callbackToken: settings.callbackToken ?? null,
    callbacks: readSwitches(settings.callbacks),
    limits: settings.limits,
    customFieldKeys: settings.customFieldKeys,
    topicBody: settings.documentedTopicBody ? 'documented' : settings.topicBody,
    unchangedFields: settings.unchangedFields,
    emptyCustomValue: settings.emptyCustomValue,
    eventTimeFormat: settings.eventTimeFormat,
    callbackContentType: settings.callbackContentType ?? null,
    timeoutMs: settings.timeoutMs,
    retryOnTimeout: settings.retryOnTimeout,
    retryIntervalMs: settings.retryIntervalMs,
    rateLimits: readRateLimits(settings.rateLimit, settings.noRateLimits),
    dropCallbacks: settings.dropCallbacks,
    silentChanges: settings.silentChanges,
    seed: settings.seed ?? null,
  };
}

/** `--no-rate-limits` and each `--rate-limit COMMAND=N|off`, as the emulator's `rateLimits`. */
function readRateLimits(entries: string[], none: boolean): EmulatorOptions['rateLimits'] {
  const limits: Record<string, number | 'off'> = {};
  if (none) for (const command of Object.keys(DEFAULT_RATE_LIMITS)) limits[command] = 'off';
  for (const entry of entries) {
    const match = /^([\w/]+)=(off|\d+(?:\.\d+)?)$/.exec(entry);
    const command = match ? resolveCommandName(match[1]!) : undefined;
    if (!match || command === undefined) {
      throw new UsageError(
        `--rate-limit ${JSON.stringify(entry)}: use COMMAND=N or COMMAND=off with a REST command, e.g. get_group_info=50`,
      );
    }
    const limit = match[2] === 'off' ? 'off' : Number(match[2]);
    if (limit === 0)
      throw new UsageError(`--rate-limit ${entry}: a limit is more than 0 calls per second (or off)`);
    limits[command] = limit;
  }
  if (Object.keys(limits).length === 0) return 'default';
  return limits;
}

function readSwitches(names: string[]): CallbackSwitches {
  const all = names.includes('all');
  const switches: CallbackSwitches = {
    groupInfo: all,
    createGroup: all,
    groupDestroyed: all,
    createTopic: all,
    topicDestroyed: all,
  };
  for (const name of names) {
    if (name === 'all' || name === 'none' || name === '') continue;
    const key = SWITCH_NAMES[name];
    if (!key) {
      throw new UsageError(
        `--callbacks: unknown callback ${JSON.stringify(name)}; use all, none, or ${Object.keys(SWITCH_NAMES).join(', ')}`,
      );
    }
    switches[key] = true;
  }
  return switches;
}
