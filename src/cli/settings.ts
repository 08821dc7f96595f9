import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError } from './command.js';

/** One setting: its flag, its `TIMHOOK_*` variable, whether it may be in the config file, its help. */
export interface SettingSpec {
  key: string;
  flag: string;
  type: 'string' | 'boolean' | 'list';
  help: string;
  /** Shown in --help; the value used when nothing sets it. */
  default?: string | boolean | string[];
  /** Never printed; never read from the config file (issue 6: secrets come from the environment). */
  secret?: boolean;
  /** Not settable through the environment or file (e.g. --config itself). */
  flagOnly?: boolean;
  short?: string;
}

/** Raw values, before the command's zod schema checks them. */
export type RawSettings = Record<string, string | boolean | string[] | undefined>;

/** The environment variable of a setting: `--max-skew` → `TIMHOOK_MAX_SKEW`. */
export function envName(spec: SettingSpec): string {
  return `TIMHOOK_${spec.flag.replace(/-/g, '_').toUpperCase()}`;
}

/**
 * Resolves settings with the precedence of DESIGN.md "Configuration": flags > environment
 * (`TIMHOOK_*`) > config file (`--config`, else `./timhook.config.json` when present) > defaults.
 */
export function resolveSettings(
  specs: readonly SettingSpec[],
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { configFlag?: boolean } = {},
): { values: RawSettings; configFile: string | null } {
  const parseOptions: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const spec of specs) {
    parseOptions[spec.flag] = {
      type: spec.type === 'boolean' ? 'boolean' : 'string',
      ...(spec.type === 'list' ? { multiple: true } : {}),
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  if (options.configFlag) parseOptions.config = { type: 'string' };
  let flags: Record<string, unknown>;
  try {
    flags = parseArgs({ args, options: parseOptions, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^.*?: /, ''));
  }
  const configFile = options.configFlag ? pickConfigFile(flags.config as string | undefined) : null;
  const file = configFile ? readConfigFile(configFile, specs) : {};
  const values: RawSettings = {};
  for (const spec of specs) {
    const fromFlag = flags[spec.flag] as string | boolean | string[] | undefined;
    const fromEnv = spec.flagOnly ? undefined : readEnv(spec, env);
    values[spec.key] = fromFlag ?? fromEnv ?? file[spec.key] ?? spec.default;
  }
  return { values, configFile };
}

function readEnv(spec: SettingSpec, env: NodeJS.ProcessEnv): string | boolean | string[] | undefined {
  const value = env[envName(spec)];
  if (value === undefined || value === '') return undefined;
  if (spec.type === 'boolean') return /^(1|true|yes|on)$/i.test(value);
  if (spec.type === 'list')
    return value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return value;
}

function pickConfigFile(flag: string | undefined): string | null {
  if (flag) {
    if (!existsSync(flag)) throw new UsageError(`config file ${flag} does not exist`);
    return flag;
  }
  return existsSync('timhook.config.json') ? 'timhook.config.json' : null;
}

function readConfigFile(path: string, specs: readonly SettingSpec[]): RawSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`config file ${path} must hold a JSON object`);
  }
  const out: RawSettings = {};
  const known = new Map(specs.map((s) => [s.key, s]));
  for (const [key, value] of Object.entries(parsed)) {
    const spec = known.get(key);
    if (!spec || spec.flagOnly) continue;
    if (spec.secret) {
      throw new UsageError(
        `config file ${path} sets ${key}, a secret: use --${spec.flag} or ${envName(spec)} instead`,
      );
    }
    out[key] = typeof value === 'number' ? String(value) : (value as string | boolean | string[]);
  }
  return out;
}

/** The `--help` lines of every setting: flag, environment variable, default, meaning. */
export function describeSettings(specs: readonly SettingSpec[]): string {
  return specs
    .map((spec) => {
      const flag = `--${spec.flag}${spec.type === 'boolean' ? '' : spec.type === 'list' ? ' <value> (repeatable)' : ' <value>'}`;
      const def =
        spec.default === undefined || spec.default === false ? '' : ` [default: ${String(spec.default)}]`;
      const env = spec.flagOnly ? '' : `  env ${envName(spec)}`;
      return `  ${flag}\n      ${spec.help}${def}${env}`;
    })
    .join('\n');
}

/** A copy of `values` fit to print: secrets masked. */
export function maskSecrets(
  specs: readonly SettingSpec[],
  values: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values };
  for (const spec of specs) {
    const value = out[spec.key];
    if (!spec.secret || value === undefined) continue;
    out[spec.key] = Array.isArray(value) ? value.map(() => '***') : '***';
  }
  return out;
}
