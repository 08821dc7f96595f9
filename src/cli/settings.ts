import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { closestName } from './closest-name.js';
import { UsageError } from './command.js';
import { type ConfigFileShape, pickConfigFile, readConfigFile } from './config-file.js';
import { type SettingSpec, specsOf } from './setting.js';

/**
 * A command's settings, checked: each from its flag, else its `TIMHOOK_*` variable, else the config
 * file (with `configFile`: `--config`, else `./timhook.config.json` when present), else its default
 * (docs/recorder.md "Settings"). A mistake throws a {@link UsageError} naming the flag, and the
 * closest one for a flag the command does not have.
 */
export function readSettings<T extends z.ZodObject>(
  object: T,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { configFile?: ConfigFileShape } = {},
): { settings: z.output<T>; configFile: string | null } {
  const specs = specsOf(object);
  const flags = readFlags(specs, args, options.configFile !== undefined);
  const configFile = options.configFile ? pickConfigFile(flags.config as string | undefined) : null;
  const file = configFile ? readConfigFile(configFile, specs, options.configFile ?? {}) : {};
  const values: Record<string, unknown> = {};
  for (const spec of specs) {
    values[spec.key] = flags[spec.flag] ?? readEnv(spec, env) ?? file[spec.key];
  }
  const parsed = object.safeParse(values);
  if (!parsed.success) {
    throw new UsageError(parsed.error.issues.map((issue) => nameFlag(issue, specs)).join('\n'));
  }
  return { settings: parsed.data, configFile };
}

function readFlags(specs: readonly SettingSpec[], args: string[], config: boolean): Record<string, unknown> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple: boolean }> = {};
  for (const spec of specs) {
    options[spec.flag] = {
      type: spec.kind === 'boolean' ? 'boolean' : 'string',
      multiple: spec.kind === 'list',
    };
  }
  if (config) options.config = { type: 'string', multiple: false };
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(describeArgsProblem(error as Error & { code?: string }, Object.keys(options)));
  }
}

/** What `parseArgs` found wrong; for a flag the command does not have, the closest one it has. */
function describeArgsProblem(error: Error & { code?: string }, flags: readonly string[]): string {
  const unknown = /'(-[^']*)'/.exec(error.message)?.[1];
  if (error.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || !unknown) return error.message;
  const closest = closestName(unknown.replace(/^-+/, ''), flags);
  return `unknown option ${unknown}${closest ? `: did you mean --${closest}?` : ''}`;
}

function readEnv(spec: SettingSpec, env: NodeJS.ProcessEnv): string | boolean | string[] | undefined {
  const value = spec.env === null ? undefined : env[spec.env];
  if (value === undefined || value === '') return undefined;
  if (spec.kind === 'boolean') return /^(1|true|yes|on)$/i.test(value);
  if (spec.kind === 'list')
    return value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return value;
}

/** A message that does not name its flag gets it in front: `--port: Invalid input`. */
function nameFlag(issue: z.core.$ZodIssue, specs: readonly SettingSpec[]): string {
  const spec = specs.find((s) => s.key === issue.path[0]);
  if (!spec || issue.message.includes(`--${spec.flag}`)) return issue.message;
  return `--${spec.flag}: ${issue.message}`;
}

/** The `--help` lines of every setting: flag, meaning, default, environment variable. */
export function describeSettings(object: z.ZodObject): string {
  return specsOf(object)
    .map((spec) => {
      const value = spec.kind === 'boolean' ? '' : ` <${spec.placeholder}>`;
      const repeat = spec.kind === 'list' ? ' (repeatable)' : '';
      const env = spec.env ? `  env ${spec.env}` : '';
      return `  --${spec.flag}${value}${repeat}\n      ${spec.help}${describeDefault(spec.default)}${env}`;
    })
    .join('\n');
}

function describeDefault(value: unknown): string {
  if (value === undefined || value === false || (Array.isArray(value) && value.length === 0)) return '';
  return ` [default: ${String(value)}]`;
}

/** The settings of `object` in `values`, fit to print: secrets masked. */
export function maskSecrets(object: z.ZodObject, values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of specsOf(object)) {
    const value = values[spec.key];
    out[spec.key] =
      !spec.secret || value === undefined ? value : Array.isArray(value) ? value.map(() => '***') : '***';
  }
  return out;
}
