import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { closestName, normalizeName } from './closest-name.js';
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

/**
 * What a config file may hold besides the command's own settings: the settings of the other
 * commands that share the file, and keys read by other code (e.g. `sinks`). Anything else is a
 * mistake, and refused.
 */
export interface ConfigFileShape {
  specs?: readonly SettingSpec[];
  keys?: readonly string[];
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
  options: { configFlag?: boolean; alsoInFile?: ConfigFileShape } = {},
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
  const file = configFile ? readConfigFile(configFile, specs, options.alsoInFile ?? {}) : {};
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

function readConfigFile(path: string, specs: readonly SettingSpec[], also: ConfigFileShape): RawSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`config file ${path} must hold a JSON object`);
  }
  const own = new Map(specs.filter((s) => !s.flagOnly && !s.secret).map((s) => [s.key, s]));
  const known = [
    ...own.keys(),
    ...(also.specs ?? []).filter((s) => !s.flagOnly && !s.secret).map((s) => s.key),
    ...(also.keys ?? []),
  ];
  const out: RawSettings = {};
  for (const [key, value] of Object.entries(parsed)) {
    const spec = own.get(key);
    if (spec) out[key] = typeof value === 'number' ? String(value) : (value as string | boolean | string[]);
    else if (!known.includes(key))
      throw new UsageError(describeStrayKey(path, key, known, [...specs, ...(also.specs ?? [])]));
  }
  return out;
}

// Names of secrets no setting has (another tool's, or a guess): refused as secrets all the same.
const SECRET_NAME = /token|secret|password|passwd|credential|apikey|privatekey/;

/**
 * Why `key` may not be in the config file: a secret (which never is: DESIGN.md "Configuration"),
 * with where it goes instead, or an unknown key, with the closest known one.
 */
function describeStrayKey(
  path: string,
  key: string,
  known: readonly string[],
  specs: readonly SettingSpec[],
): string {
  const name = normalizeName(key);
  const secret = specs.find(
    (s) => s.secret && (normalizeName(s.key) === name || normalizeName(s.flag) === name),
  );
  if (secret)
    return `config file ${path} sets ${key}, a secret: use --${secret.flag} or ${envName(secret)} instead`;
  if (SECRET_NAME.test(name)) {
    return `config file ${path} sets ${key}, a secret: secrets go in flags or TIMHOOK_* environment variables, never in the config file`;
  }
  const closest = closestName(key, known);
  return closest
    ? `unknown key ${key} in ${path}: did you mean ${closest}?`
    : `unknown key ${key} in ${path}: the keys are ${known.join(', ')}`;
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
