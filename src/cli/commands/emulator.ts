import { z } from 'zod';
import {
  type CallbackSwitches,
  createEmulator,
  DEFAULT_RATE_LIMITS,
  DEFAULT_SECRET_KEY,
  type DeliveryRecord,
  type EmulatorOptions,
  resolveCommandName,
} from '../../emulator/index.js';
import { type CliCommand, UsageError } from '../command.js';
import { describeSettings, maskSecrets, resolveSettings, type SettingSpec } from '../settings.js';
import { waitForStop } from '../wait-for-stop.js';

// Host and port are flags only: TIMHOOK_PORT and TIMHOOK_HOST belong to `timhook serve`.
const SPECS: readonly SettingSpec[] = [
  {
    key: 'host',
    flag: 'host',
    type: 'string',
    flagOnly: true,
    default: '127.0.0.1',
    help: 'Interface to listen on.',
  },
  {
    key: 'port',
    flag: 'port',
    type: 'string',
    flagOnly: true,
    default: '8788',
    help: 'Port; 0 picks a free one.',
  },
  {
    key: 'sdkAppId',
    flag: 'sdk-appid',
    type: 'string',
    default: '1400000000',
    help: 'The emulated app’s SDKAppID.',
  },
  {
    key: 'secretKey',
    flag: 'secret-key',
    type: 'string',
    secret: true,
    help: `The app’s secret key, which REST UserSigs must be signed with. Default: the public key "${DEFAULT_SECRET_KEY}".`,
  },
  {
    key: 'admins',
    flag: 'admin',
    type: 'list',
    default: ['administrator'],
    help: 'An app admin: the only identifiers the REST API accepts (60010 for others).',
  },
  {
    key: 'callbackUrl',
    flag: 'callback-url',
    type: 'string',
    help: 'Where callbacks go (your receiver, or `timhook serve`’s /callback). None: no callbacks.',
  },
  {
    key: 'callbackToken',
    flag: 'callback-token',
    type: 'string',
    secret: true,
    help: 'The console’s callback token: callbacks then carry Sign = sha256(token + RequestTime).',
  },
  {
    key: 'callbacks',
    flag: 'callbacks',
    type: 'list',
    default: ['all'],
    help: 'Callbacks switched on: all, none, or any of info (group and topic profile, one switch), create-group, destroy-group, create-topic, destroy-topic.',
  },
  {
    key: 'limits',
    flag: 'limits',
    type: 'string',
    default: 'default',
    help: 'Group byte limits: default (Name 30, Introduction 240, Notification 300, FaceUrl 100) or newer (100/400/400/500).',
  },
  {
    key: 'customFieldKeys',
    flag: 'custom-field',
    type: 'list',
    help: 'Declare a group custom-field key (letters, digits, _; up to 16). Undeclared keys are refused with 10004.',
  },
  {
    key: 'documentedTopicBody',
    flag: 'documented-topic-body',
    type: 'boolean',
    default: false,
    help: 'Send the topic callback exactly as documented: no TopicId, no EventTime (same as --topic-body documented).',
  },
  {
    key: 'topicBody',
    flag: 'topic-body',
    type: 'string',
    default: 'extended',
    help: 'Topic callback shape: extended (adds TopicId and EventTime), documented, or topic-as-group-id.',
  },
  {
    key: 'unchangedFields',
    flag: 'unchanged-fields',
    type: 'string',
    default: 'omit',
    help: 'A field set to its current value: omit (left out; no callback when nothing changed) or send.',
  },
  {
    key: 'emptyCustomValue',
    flag: 'empty-custom-value',
    type: 'string',
    default: 'set',
    help: 'A custom field set to "": set (kept, empty) or delete.',
  },
  {
    key: 'eventTimeFormat',
    flag: 'event-time',
    type: 'string',
    default: 'number',
    help: 'EventTime (ms) as a JSON number or a numeric string.',
  },
  {
    key: 'callbackContentType',
    flag: 'callback-content-type',
    type: 'string',
    help: 'A Content-Type header for callbacks. Default: none, as the documented example shows.',
  },
  {
    key: 'timeoutMs',
    flag: 'timeout-ms',
    type: 'string',
    default: '2000',
    help: 'How long a callback waits for its answer.',
  },
  {
    key: 'retryOnTimeout',
    flag: 'retry-on-timeout',
    type: 'string',
    default: '0',
    help: 'Re-send a callback that timed out up to N times (the console’s retry option; 0 = off, as by default).',
  },
  {
    key: 'retryIntervalMs',
    flag: 'retry-interval-ms',
    type: 'string',
    default: '1000',
    help: 'Wait before each re-send.',
  },
  {
    key: 'rateLimit',
    flag: 'rate-limit',
    type: 'list',
    help: 'Change one API’s limit: COMMAND=N (calls per second) or COMMAND=off, e.g. get_group_info=50. Defaults as documented: get_appid_group_list 1, get_group_info 200, get_topic 200; over it the API answers 60007.',
  },
  {
    key: 'noRateLimits',
    flag: 'no-rate-limits',
    type: 'boolean',
    default: false,
    help: 'No per-API limit at all (each --rate-limit still applies).',
  },
  {
    key: 'dropCallbacks',
    flag: 'drop-callbacks',
    type: 'string',
    default: '0',
    help: 'Lose this fraction of callbacks (0 to 1, e.g. 0.2): never sent, logged as "dropped" in the deliveries.',
  },
  {
    key: 'silentChanges',
    flag: 'silent-changes',
    type: 'boolean',
    default: false,
    help: 'Profile changes fire no callback at all (creations and destructions still do).',
  },
  {
    key: 'seed',
    flag: 'seed',
    type: 'string',
    help: 'Seed the randomness of --drop-callbacks (a whole number), so a run loses the same callbacks again. Default: a random seed.',
  },
  {
    key: 'quiet',
    flag: 'quiet',
    type: 'boolean',
    flagOnly: true,
    default: false,
    help: 'Do not print a line per delivery attempt.',
  },
];

const SWITCH_NAMES: Readonly<Record<string, keyof CallbackSwitches>> = {
  info: 'groupInfo',
  'create-group': 'createGroup',
  'destroy-group': 'groupDestroyed',
  'create-topic': 'createTopic',
  'destroy-topic': 'topicDestroyed',
};

const whole = (flag: string, min: number, max: number) =>
  z.coerce
    .number({ error: `--${flag} must be a whole number` })
    .int(`--${flag} must be a whole number`)
    .min(min, `--${flag} must be at least ${min}`)
    .max(max, `--${flag} must be at most ${max}`);

const choice = <T extends string>(flag: string, values: readonly [T, ...T[]]) =>
  z.enum(values, { error: `--${flag} must be one of ${values.join(', ')}` });

const Settings = z.object({
  host: z.string().min(1, '--host must not be empty'),
  port: whole('port', 0, 65_535),
  sdkAppId: z.string().regex(/^[1-9]\d{0,11}$/, '--sdk-appid must be the numeric SDKAppID'),
  secretKey: z.string().min(1, '--secret-key must not be empty').optional(),
  admins: z.array(z.string().min(1, '--admin must not be empty')).min(1),
  callbackUrl: z
    .string()
    .refine(
      (s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol),
      '--callback-url must be an http(s) URL',
    )
    .optional(),
  callbackToken: z.string().min(1, '--callback-token must not be empty').optional(),
  callbacks: z.array(z.string()),
  limits: choice('limits', ['default', 'newer']),
  customFieldKeys: z
    .array(z.string().regex(/^[A-Za-z0-9_]{1,16}$/, '--custom-field keys are 1–16 letters, digits or _'))
    .default([]),
  documentedTopicBody: z.boolean(),
  topicBody: choice('topic-body', ['extended', 'documented', 'topic-as-group-id']),
  unchangedFields: choice('unchanged-fields', ['omit', 'send']),
  emptyCustomValue: choice('empty-custom-value', ['set', 'delete']),
  eventTimeFormat: choice('event-time', ['number', 'string']),
  callbackContentType: z.string().min(1).optional(),
  timeoutMs: whole('timeout-ms', 1, 60_000),
  retryOnTimeout: whole('retry-on-timeout', 0, 10),
  retryIntervalMs: whole('retry-interval-ms', 0, 60_000),
  rateLimit: z.array(z.string()).default([]),
  noRateLimits: z.boolean(),
  dropCallbacks: z.coerce
    .number({ error: '--drop-callbacks must be a fraction from 0 to 1' })
    .min(0, '--drop-callbacks must be a fraction from 0 to 1')
    .max(1, '--drop-callbacks must be a fraction from 0 to 1'),
  silentChanges: z.boolean(),
  seed: whole('seed', 0, 4_294_967_295).optional(),
  quiet: z.boolean(),
});

/** The checked settings of `timhook emulator`. */
export type EmulatorSettings = z.infer<typeof Settings>;

/** Reads and checks `emulator` settings from flags and the `TIMHOOK_*` environment. */
export function readEmulatorSettings(args: string[], env: NodeJS.ProcessEnv): EmulatorSettings {
  const { values } = resolveSettings(SPECS, args, env);
  for (const key of ['admins', 'callbacks', 'customFieldKeys', 'rateLimit'] as const) {
    const list = values[key];
    if (Array.isArray(list)) values[key] = list.flatMap((item) => item.split(',').map((s) => s.trim()));
  }
  const parsed = Settings.safeParse(values);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join('\n'));
  return parsed.data;
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

/** One line per delivery attempt: what went where and how the receiver answered. */
export function formatDelivery(record: DeliveryRecord): string {
  const answer =
    record.status === null ? record.error : `HTTP ${record.status} ${record.actionStatus ?? record.outcome}`;
  const retry = record.attempt > 1 ? ` (attempt ${record.attempt})` : '';
  return `callback ${record.command.replace('Group.CallbackAfter', '')} ${record.groupId} → ${answer} in ${Math.round(record.latencyMs)} ms${retry}`;
}

/** `timhook emulator`: runs {@link createEmulator} until Ctrl-C. */
export const command: CliCommand = {
  summary: 'Run a local Chat backend: REST API with UserSig, client users, signed callbacks',
  help: `Usage: timhook emulator [--callback-url URL] [--callback-token T] [options]

A stand-in for the Tencent Cloud Chat backend, to develop and test a callback receiver with no
cloud account. It keeps groups and topics in memory and has four faces:

  REST API     POST /v4/<service>/<command>?sdkappid=&identifier=&usersig=&random=&contenttype=json
               create_group, get_appid_group_list, get_group_info, modify_group_base_info,
               destroy_group (group_open_http_svc); create_topic, get_topic, modify_topic,
               destroy_topic (million_group_open_http_svc). identifier must be an app admin
               (--admin) and usersig a TLSSigAPIv2 UserSig made with --secret-key, e.g. with the
               official npm package:
                 new (require('tls-sig-api-v2').Api)(1400000000, KEY).genUserSig('administrator', 86400)
               Answers are HTTP 200 with ActionStatus/ErrorCode/ErrorInfo and the documented codes
               (60003 bad JSON, 70001 expired UserSig, 10004 a limit broken, 10010 no such group, …).
  reading      get_appid_group_list pages every group id (Limit ≤ 10000, Next cursor until 0,
               optional GroupType); get_group_info answers up to 50 groups, each with its own
               ErrorCode, narrowed by ResponseFilter {GroupBaseInfoFilter, AppDefinedDataFilter_Group};
               get_topic answers a community's topics with their profiles. Each API keeps its
               documented limit (get_appid_group_list 1 call/s, get_group_info and get_topic
               200 calls/s) and answers 60007 over it: see --rate-limit, --no-rate-limits.
  client face  POST /emulator/client/modify_group_base_info and /emulator/client/modify_topic with
               the REST body plus Operator_Account (the user), OptPlatform and ClientIP: a change
               made from an app, under the group's permission rules (Work: any member;
               Public/Community: owner or admin; Meeting/AVChatRoom: owner; 10007 otherwise).
  silent face  POST /emulator/silent/modify_group_base_info and /emulator/silent/modify_topic with
               the REST body: the change is made and no callback fires, so a recorder drifts.
  console      GET/PUT /emulator/config changes every setting below while running (rateLimits,
               dropCallbacks, silentChanges and seed included);
               GET /emulator/deliveries lists each callback attempt, newest first.

After each change the documented callbacks go to --callback-url, carrying only the fields that
changed, with SdkAppid, CallbackCommand, contenttype, ClientIP, OptPlatform (and Sign, RequestTime
with a token) in the URL, over kept-alive connections with a 2 s timeout; per group in the order
the changes were made. To make a mirror drift for real, --drop-callbacks 0.2 loses a fifth of them
(each logged as "dropped"; --seed N loses the same ones again) and --silent-changes sends none for
profile changes.

Options (flags > TIMHOOK_* environment > defaults):
${describeSettings(SPECS)}

Examples:
  # Feed a local recorder:
  timhook serve --sdk-appid 1400000000 --token dev-token &
  timhook emulator --callback-url http://127.0.0.1:8787/callback --callback-token dev-token
  # Then, with the UserSig it prints:
  curl -X POST "http://127.0.0.1:8788/v4/group_open_http_svc/create_group?sdkappid=1400000000&identifier=administrator&usersig=$SIG&random=1&contenttype=json" \\
       -d '{"Type":"Public","Name":"Ops","Owner_Account":"leckie"}'
  # Switch the topic body to the documented one while running:
  curl -X PUT http://127.0.0.1:8788/emulator/config -d '{"topicBody":"documented"}'
  # Lose 20% of callbacks, the same ones every run, and let get_group_info take 50 calls/s:
  timhook emulator --callback-url http://127.0.0.1:8787/callback --drop-callbacks 0.2 --seed 1 \\
                   --rate-limit get_group_info=50
  # Or while running:
  curl -X PUT http://127.0.0.1:8788/emulator/config -d '{"dropCallbacks":0.2,"seed":1}'
`,
  async run(args) {
    const settings = readEmulatorSettings(args, process.env);
    const emulator = createEmulator(toEmulatorOptions(settings));
    // Listen for Ctrl-C before saying where we listen, so a signal right after is handled.
    const starting = emulator.start();
    const stopped = waitForStop(() => emulator.stop(), starting);
    const url = await starting;
    if (!settings.quiet) emulator.onDelivery((record) => process.stdout.write(`${formatDelivery(record)}\n`));
    process.stdout.write(describeStart(settings, url, emulator.userSig()));
    return stopped;
  },
};

function describeStart(settings: EmulatorSettings, url: string, adminSig: string): string {
  const admin = settings.admins[0]!;
  const shown = maskSecrets(SPECS, settings);
  if (!settings.secretKey) shown.secretKey = '(public default)';
  const lines = [
    `timhook emulator listening on ${url}`,
    `settings: ${JSON.stringify(shown)}`,
    `REST API:    POST ${url}/v4/<service>/<command>?sdkappid=${settings.sdkAppId}&identifier=${admin}&usersig=<UserSig>&random=<n>&contenttype=json`,
    `client face: POST ${url}/emulator/client/modify_group_base_info   (body: REST body + Operator_Account)`,
    `silent face: POST ${url}/emulator/silent/modify_group_base_info   (REST body; no callback fires)`,
    `console:     GET/PUT ${url}/emulator/config   deliveries: GET ${url}/emulator/deliveries`,
    describeFaults(settings),
    settings.callbackUrl
      ? `callbacks → ${settings.callbackUrl}${settings.callbackToken ? ' (signed)' : ' (unsigned: no --callback-token)'}`
      : 'callbacks: none until a URL is set (--callback-url, or PUT /emulator/config {"callbackUrl": …})',
  ];
  if (settings.secretKey) {
    lines.push(`UserSig: sign with your --secret-key, e.g. tls-sig-api-v2 genUserSig('${admin}', 86400)`);
  } else {
    // The default key is public, so a UserSig made with it is no secret.
    lines.push(
      `UserSig for ${admin} (public default key, valid 24 h): ${adminSig}`,
      'try it:',
      `  curl -X POST '${url}/v4/group_open_http_svc/create_group?sdkappid=${settings.sdkAppId}&identifier=${admin}&usersig=${adminSig}&random=1&contenttype=json' -d '{"Type":"Public","Name":"Ops"}'`,
    );
    if (!isLoopback(settings.host)) {
      lines.push(
        'warning: listening beyond this machine with the public default secret key: pass --secret-key',
      );
    }
  }
  if (!isLoopback(settings.host)) {
    lines.push(
      'warning: the console (/emulator/config) and the client face have no authentication: anyone who can reach this port can redirect callbacks and change groups',
    );
  }
  return `${lines.join('\n')}\n`;
}

function describeFaults(settings: EmulatorSettings): string {
  const faults = [
    settings.dropCallbacks > 0
      ? `${Math.round(settings.dropCallbacks * 1000) / 10}% of callbacks dropped${settings.seed === undefined ? '' : ` (seed ${settings.seed})`}`
      : null,
    settings.silentChanges ? 'profile changes silent' : null,
  ].filter((fault) => fault !== null);
  return `faults:      ${faults.length > 0 ? faults.join(', ') : 'none'} (dropCallbacks, silentChanges in /emulator/config)`;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
