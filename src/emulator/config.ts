import { z } from 'zod';
import {
  DEFAULT_GROUP_LIMITS,
  type GroupLimits,
  isValidCustomFieldKey,
  NEWER_GROUP_LIMITS,
} from '../protocol/index.js';
import { DEFAULT_RATE_LIMITS, resolveCommandName } from './rate-limits.js';

/** The console's callback switches. `groupInfo` covers both profile-change callbacks (seed 000). */
export interface CallbackSwitches {
  /** `Group.CallbackAfterGroupInfoChanged` and `Group.CallbackAfterTopicInfoChanged`: one switch. */
  groupInfo: boolean;
  createGroup: boolean;
  groupDestroyed: boolean;
  createTopic: boolean;
  topicDestroyed: boolean;
}

/**
 * How the topic-change callback is shaped (docs/protocol.md §2, UNSETTLED): `extended` adds `TopicId`
 * and `EventTime`; `documented` is exactly the seed 000 body (community id in `GroupId`, neither
 * field); `topic-as-group-id` is the documented body with the topic id in `GroupId`.
 */
export type TopicBodyShape = 'extended' | 'documented' | 'topic-as-group-id';

/** The console settings: what `GET`/`PUT /emulator/config` show and change while running. */
export interface EmulatorConfig {
  /** Where callbacks go; `null` sends none. */
  callbackUrl: string | null;
  /** The console's callback token: adds `Sign` and `RequestTime` to the URL (docs/protocol.md §1). */
  callbackToken: string | null;
  callbacks: CallbackSwitches;
  /** Byte limits of group fields (docs/protocol.md §3, UNSETTLED): 30/240/300/100 by default. */
  limits: GroupLimits;
  /** Custom-field keys declared in the console; any other key is refused (10004). */
  customFieldKeys: string[];
  /** App admins: the only identifiers the REST API accepts, and always allowed on the client face. */
  admins: string[];
  /** A modify that sets a field to its current value: `omit` leaves it out (and sends nothing when nothing changed); `send` sends it. */
  unchangedFields: 'omit' | 'send';
  /** A custom field set to `""`: `set` keeps it as empty, `delete` removes it (docs/protocol.md §3, UNSETTLED). */
  emptyCustomValue: 'set' | 'delete';
  topicBody: TopicBodyShape;
  /** `EventTime` as a JSON number or a numeric string; public pages show both (docs/protocol.md §2). */
  eventTimeFormat: 'number' | 'string';
  /** A `Content-Type` header on callbacks; `null` sends none, as the documented example shows. */
  callbackContentType: string | null;
  /** How long a callback waits for its answer: 2000 ms, as documented (docs/protocol.md §1). */
  timeoutMs: number;
  /** Re-sends after a timeout, like the console's retry option; 0 (no retry) by default. */
  retryOnTimeout: number;
  /** Wait between a timeout and its re-send (undocumented upstream). */
  retryIntervalMs: number;
  /**
   * Calls per second each REST API takes before it answers 60007, by `service/command`; an API
   * not listed has no limit. Default: the documented limits of the read APIs.
   */
  rateLimits: Record<string, number>;
  /** The fraction of callbacks lost on the way (0 to 1), logged as `dropped`; 0 by default. */
  dropCallbacks: number;
  /** Profile changes fire no callback at all (the mirror drifts with no trace); off by default. */
  silentChanges: boolean;
  /** Seeds the randomness of the faults, for runs that repeat; `null` picks a seed at random. */
  seed: number | null;
}

/** A fresh copy of the default console settings. */
export function createDefaultConfig(): EmulatorConfig {
  return {
    callbackUrl: null,
    callbackToken: null,
    callbacks: {
      groupInfo: true,
      createGroup: true,
      groupDestroyed: true,
      createTopic: true,
      topicDestroyed: true,
    },
    limits: { ...DEFAULT_GROUP_LIMITS },
    customFieldKeys: [],
    admins: ['administrator'],
    unchangedFields: 'omit',
    emptyCustomValue: 'set',
    topicBody: 'extended',
    eventTimeFormat: 'number',
    callbackContentType: null,
    timeoutMs: 2000,
    retryOnTimeout: 0,
    retryIntervalMs: 1000,
    rateLimits: { ...DEFAULT_RATE_LIMITS },
    dropCallbacks: 0,
    silentChanges: false,
    seed: null,
  };
}

const limitValue = z.number().int().positive();
const httpUrl = z
  .string()
  .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), 'must be an http(s) URL');
const account = z.string().min(1).max(64);
const rateLimitsPatch = z
  .union(
    [
      z.enum(['default', 'off']),
      z.record(z.string(), z.union([z.number().positive().max(1_000_000), z.literal('off')])),
    ],
    { error: 'must be "default", "off", or {command: calls per second or "off"}' },
  )
  .superRefine((value, ctx) => {
    if (typeof value === 'string') return;
    for (const name of Object.keys(value)) {
      if (resolveCommandName(name) === undefined) {
        ctx.addIssue({ code: 'custom', message: `${name} is not a REST command of the emulator` });
      }
    }
  });

/** A partial update of the console settings, as `PUT /emulator/config` takes it. */
export const ConfigPatchSchema = z
  .strictObject({
    callbackUrl: httpUrl.nullable(),
    callbackToken: z.string().min(1).nullable(),
    callbacks: z
      .strictObject({
        groupInfo: z.boolean(),
        createGroup: z.boolean(),
        groupDestroyed: z.boolean(),
        createTopic: z.boolean(),
        topicDestroyed: z.boolean(),
      })
      .partial(),
    limits: z.union([
      z.enum(['default', 'newer']),
      z.strictObject({
        Name: limitValue,
        Introduction: limitValue,
        Notification: limitValue,
        FaceUrl: limitValue,
      }),
    ]),
    customFieldKeys: z.array(z.string().refine(isValidCustomFieldKey, 'must be 1–16 letters, digits or _')),
    admins: z.array(account).min(1),
    unchangedFields: z.enum(['omit', 'send']),
    emptyCustomValue: z.enum(['set', 'delete']),
    topicBody: z.enum(['extended', 'documented', 'topic-as-group-id']),
    eventTimeFormat: z.enum(['number', 'string']),
    callbackContentType: z.string().min(1).nullable(),
    timeoutMs: z.number().int().min(1).max(60_000),
    retryOnTimeout: z.number().int().min(0).max(10),
    retryIntervalMs: z.number().int().min(0).max(60_000),
    rateLimits: rateLimitsPatch,
    dropCallbacks: z.number().min(0).max(1),
    silentChanges: z.boolean(),
    seed: z.number().int().min(0).max(4_294_967_295).nullable(),
  })
  .partial();

/**
 * A partial update of {@link EmulatorConfig}; `limits` may also name a preset. `rateLimits` is
 * `default`, `off` (no limit at all), or limits to change by command (`service/command` or the
 * command alone), each a number of calls per second or `off`; the others are kept.
 */
export type EmulatorConfigPatch = z.input<typeof ConfigPatchSchema>;

/** Validates `patch`: the parsed patch, or one readable line per problem. */
export function parseConfigPatch(
  patch: unknown,
): { ok: true; patch: z.output<typeof ConfigPatchSchema> } | { ok: false; problems: string[] } {
  const result = ConfigPatchSchema.safeParse(patch);
  if (result.success) return { ok: true, patch: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`),
  };
}

/** `config` with a parsed patch applied (a new object; `config` is not changed). */
export function applyConfigPatch(
  config: EmulatorConfig,
  patch: z.output<typeof ConfigPatchSchema>,
): EmulatorConfig {
  const { callbacks, limits, customFieldKeys, admins, rateLimits, ...rest } = patch;
  const next: EmulatorConfig = { ...config, callbacks: { ...config.callbacks } };
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) Object.assign(next, { [key]: value });
  }
  if (callbacks) {
    for (const [key, value] of Object.entries(callbacks)) {
      if (value !== undefined) next.callbacks[key as keyof CallbackSwitches] = value;
    }
  }
  if (limits !== undefined) next.limits = resolveLimits(limits);
  if (customFieldKeys) next.customFieldKeys = [...new Set(customFieldKeys)];
  if (admins) next.admins = [...new Set(admins)];
  if (rateLimits !== undefined) next.rateLimits = resolveRateLimits(config.rateLimits, rateLimits);
  return next;
}

function resolveRateLimits(
  current: Readonly<Record<string, number>>,
  patch: 'default' | 'off' | Record<string, number | 'off'>,
): Record<string, number> {
  if (patch === 'default') return { ...DEFAULT_RATE_LIMITS };
  if (patch === 'off') return {};
  const next = { ...current };
  for (const [name, limit] of Object.entries(patch)) {
    const command = resolveCommandName(name)!;
    if (limit === 'off') delete next[command];
    else next[command] = limit;
  }
  return next;
}

/** The byte-limit set named by a preset, or the set itself. */
export function resolveLimits(limits: 'default' | 'newer' | GroupLimits): GroupLimits {
  if (limits === 'default') return { ...DEFAULT_GROUP_LIMITS };
  if (limits === 'newer') return { ...NEWER_GROUP_LIMITS };
  return { ...limits };
}

const MASK = '********';

/** The settings as shown to anyone, with the token masked: a secret is never printed. */
export function maskConfig(config: EmulatorConfig): EmulatorConfig {
  return { ...config, callbackToken: config.callbackToken === null ? null : MASK };
}
