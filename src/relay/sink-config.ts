import { z } from 'zod';
import type { RenderedEvent } from '../store/index.js';
import { unknownTemplateVariables } from './template.js';

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable, e.g. TIMHOOK_SINK_SECRET');

const template = (what: string) =>
  z
    .string()
    .min(1)
    .max(200)
    .refine((value) => unknownTemplateVariables(value).length === 0, {
      message: `${what} may use {groupId}, {topicId}, {kind}, {command}, {sdkAppId} only`,
    });

/** A URL of one of `protocols`, with no password in it (secrets come from the environment). */
const serverUrl = (protocols: string[], passwordEnv: string) =>
  z
    .string()
    .refine((value) => URL.canParse(value) && protocols.includes(new URL(value).protocol), {
      message: `must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL`,
    })
    .refine((value) => !URL.canParse(value) || new URL(value).password === '', {
      message: `must not hold a password: name an environment variable in "${passwordEnv}" instead`,
    });

const Filter = z
  .object({
    /** Only these callback commands, e.g. `Group.CallbackAfterGroupInfoChanged`. */
    commands: z.array(z.string().min(1)).min(1).optional(),
    /** Only these groups (a community id also matches its topics). */
    groups: z.array(z.string().min(1)).min(1).optional(),
    kinds: z
      .array(z.enum(['group', 'topic']))
      .min(1)
      .optional(),
  })
  .strict();

const Retry = z
  .object({
    /** Attempts per event before it is dead-lettered (an unreachable sink is not counted). */
    maxAttempts: z.int().min(1).max(1000).default(8),
    initialDelayMs: z.int().min(1).max(3_600_000).default(500),
    maxDelayMs: z.int().min(1).max(86_400_000).default(60_000),
  })
  .strict();

const common = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, 'a sink name is 1-63 letters, digits, _ or -'),
  filter: Filter.optional(),
  /** `event`: the recorded event as the API returns it; `original`: the Tencent callback body. */
  payload: z.enum(['event', 'original']).default('event'),
  retry: Retry.prefault({}),
  /** Events read from the log per round. */
  batchSize: z.int().min(1).max(5000).default(500),
  /** Where a sink seen for the first time starts: the whole log, or only new events. */
  from: z.enum(['beginning', 'end']).default('beginning'),
  /**
   * Relay what the recorder learnt from the REST API (commands `timhook.Snapshot`,
   * `timhook.Reconciled`, `timhook.Vanished`) besides the callbacks; false: callbacks only.
   */
  rest: z.boolean().default(true),
};

const HttpSink = z
  .object({
    type: z.literal('http'),
    url: z.string().refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), {
      message: 'must be an http:// or https:// URL',
    }),
    /** The Standard Webhooks signing secret (`whsec_…`), read from this environment variable. */
    secretEnv: envName,
    /** Extra request headers (no secrets: the file is not a place for them). */
    headers: z
      .record(
        z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a header name'),
        z.string().regex(/^[^\r\n\0]*$/, 'must be one line'),
      )
      .optional(),
    timeoutMs: z.int().min(100).max(300_000).default(10_000),
    /**
     * Keep-alive connections to the endpoint. The changes of one group always go one at a time,
     * in order.
     */
    concurrency: z.int().min(1).max(256).default(4),
    /**
     * Requests one connection carries at once when every connection waits for an answer (HTTP/1.1
     * pipelining, each of another group); 1: one at a time per connection.
     */
    pipelining: z.int().min(1).max(64).default(8),
    ...common,
  })
  .strict();

const NatsSink = z
  .object({
    type: z.literal('nats'),
    servers: z.union([
      serverUrl(['nats:', 'tls:'], 'passwordEnv'),
      z.array(serverUrl(['nats:', 'tls:'], 'passwordEnv')).min(1),
    ]),
    /** JetStream subject; a stream must capture it. */
    subject: template('subject').default('timhook.group.{groupId}'),
    user: z.string().min(1).optional(),
    passwordEnv: envName.optional(),
    tokenEnv: envName.optional(),
    /** How long to wait for JetStream's acknowledgement. */
    timeoutMs: z.int().min(100).max(300_000).default(5_000),
    ...common,
  })
  .strict();

const RedisSink = z
  .object({
    type: z.literal('redis'),
    url: serverUrl(['redis:', 'rediss:'], 'passwordEnv'),
    /** Stream key. */
    stream: template('stream').default('timhook:changes'),
    /** Approximate bound of each stream (`XADD … MAXLEN ~ maxLen`). */
    maxLen: z.int().min(1).default(100_000),
    passwordEnv: envName.optional(),
    timeoutMs: z.int().min(100).max(300_000).default(5_000),
    ...common,
  })
  .strict();

const RabbitMqSink = z
  .object({
    type: z.literal('rabbitmq'),
    url: serverUrl(['amqp:', 'amqps:'], 'passwordEnv'),
    exchange: z.string().max(255),
    routingKey: template('routingKey').default('group.{groupId}'),
    /** When set, the exchange is declared (durable) with this type at connect. */
    exchangeType: z.enum(['direct', 'topic', 'fanout', 'headers']).optional(),
    passwordEnv: envName.optional(),
    /** How long to wait for the broker's publisher confirms. */
    timeoutMs: z.int().min(100).max(300_000).default(10_000),
    ...common,
  })
  .strict();

const SinkSchema = z.discriminatedUnion('type', [HttpSink, NatsSink, RedisSink, RabbitMqSink], {
  error: 'type must be http, nats, redis or rabbitmq',
});

/** One sink as declared in the config file, defaults filled in. */
export type SinkSettings = z.infer<typeof SinkSchema>;
export type HttpSinkSettings = z.infer<typeof HttpSink>;
export type NatsSinkSettings = z.infer<typeof NatsSink>;
export type RedisSinkSettings = z.infer<typeof RedisSink>;
export type RabbitMqSinkSettings = z.infer<typeof RabbitMqSink>;
export type SinkFilter = z.infer<typeof Filter>;

/** Secrets of a sink, read from the environment variables its settings name. */
export interface SinkSecrets {
  secret?: string;
  password?: string;
  token?: string;
}

/** A sink ready to build: its settings and its secrets. */
export interface DeclaredSink {
  settings: SinkSettings;
  secrets: SinkSecrets;
}

/** A mistake in the `sinks` of a config file. */
export class SinkConfigError extends Error {
  override name = 'SinkConfigError';
}

/**
 * Checks the `sinks` array of a config file and reads each sink's secrets from `env`: secrets
 * come from environment variables named in the file, never from the file.
 *
 * @example
 * parseSinks([{ name: 'orders', type: 'http', url: 'https://x/hook', secretEnv: 'ORDERS_SECRET' }], process.env);
 */
export function parseSinks(value: unknown, env: NodeJS.ProcessEnv): DeclaredSink[] {
  const parsed = z.array(SinkSchema).safeParse(value ?? []);
  if (!parsed.success) {
    throw new SinkConfigError(
      parsed.error.issues.map((issue) => `sinks.${issue.path.join('.')}: ${issue.message}`).join('\n'),
    );
  }
  const seen = new Set<string>();
  return parsed.data.map((settings) => {
    if (seen.has(settings.name)) throw new SinkConfigError(`two sinks are named ${settings.name}`);
    seen.add(settings.name);
    return { settings, secrets: readSecrets(settings, env) };
  });
}

function readSecrets(settings: SinkSettings, env: NodeJS.ProcessEnv): SinkSecrets {
  const read = (variable: string | undefined): string | undefined => {
    if (variable === undefined) return undefined;
    const value = env[variable];
    if (value === undefined || value === '') {
      throw new SinkConfigError(`sink ${settings.name}: the environment variable ${variable} is not set`);
    }
    return value;
  };
  const secrets: SinkSecrets = {};
  const assign = (key: keyof SinkSecrets, variable: string | undefined) => {
    const value = read(variable);
    if (value !== undefined) secrets[key] = value;
  };
  if (settings.type === 'http') {
    assign('secret', settings.secretEnv);
    if (!/^(whsec_)?[A-Za-z0-9+/]+={0,2}$/.test(secrets.secret!)) {
      throw new SinkConfigError(
        `sink ${settings.name}: ${settings.secretEnv} must be a Standard Webhooks secret (whsec_ followed by base64)`,
      );
    }
  } else {
    assign('password', settings.passwordEnv);
    if (settings.type === 'nats') assign('token', settings.tokenEnv);
  }
  return secrets;
}

/** Whether `event` passes a sink's filter. */
export function matchesSinkFilter(
  filter: SinkFilter | undefined,
  event: Pick<RenderedEvent, 'command' | 'kind' | 'groupId'>,
): boolean {
  if (!filter) return true;
  if (filter.commands && !filter.commands.includes(event.command)) return false;
  if (filter.kinds && !filter.kinds.includes(event.kind)) return false;
  if (filter.groups && (event.groupId === null || !filter.groups.includes(event.groupId))) return false;
  return true;
}
