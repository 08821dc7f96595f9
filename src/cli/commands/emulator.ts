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
import { awaitListening } from '../await-listening.js';
import { type CliCommand, UsageError } from '../command.js';
import { commaList, oneOf, setting, wholeNumber } from '../setting.js';
import { describeSettings, maskSecrets, readSettings } from '../settings.js';
import { waitForStop } from '../wait-for-stop.js';

const SWITCH_NAMES: Readonly<Record<string, keyof CallbackSwitches>> = {
  info: 'groupInfo',
  'create-group': 'createGroup',
  'destroy-group': 'groupDestroyed',
  'create-topic': 'createTopic',
  'destroy-topic': 'topicDestroyed',
};

const Settings = z.object({
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
export type EmulatorSettings = z.output<typeof Settings>;

/** Reads and checks `emulator` settings from flags and the `TIMHOOK_*` environment. */
export function readEmulatorSettings(args: string[], env: NodeJS.ProcessEnv): EmulatorSettings {
  return readSettings(Settings, args, env).settings;
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
${describeSettings(Settings)}

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
    const stopped = waitForStop(() => emulator.stop(), starting, { stopWhenOutputCloses: true });
    const url = await awaitListening(
      starting,
      { host: settings.host, port: settings.port, portFlag: '--port' },
      () => emulator.stop(),
    );
    if (!settings.quiet) emulator.onDelivery((record) => process.stdout.write(`${formatDelivery(record)}\n`));
    process.stdout.write(describeStart(settings, url, emulator.userSig()));
    return stopped;
  },
};

function describeStart(settings: EmulatorSettings, url: string, adminSig: string): string {
  const admin = settings.admins[0]!;
  const shown = maskSecrets(Settings, settings);
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
