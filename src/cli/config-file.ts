import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { closestName, normalizeName } from './closest-name.js';
import { UsageError } from './command.js';
import { type SettingSpec, specsOf } from './setting.js';

/**
 * What a config file may hold besides the command's own settings: the settings of the other
 * commands that share the file, and keys read by other code (e.g. `sinks`). Anything else is a
 * mistake, and refused.
 */
export interface ConfigFileShape {
  settings?: readonly z.ZodObject[];
  keys?: readonly string[];
}

/** The file `--config` names (which must exist), else `./timhook.config.json` when present. */
export function pickConfigFile(flag: string | undefined): string | null {
  if (flag) {
    if (!existsSync(flag)) throw new UsageError(`config file ${flag} does not exist`);
    return flag;
  }
  return existsSync('timhook.config.json') ? 'timhook.config.json' : null;
}

/** The values of `specs` the file at `path` sets; a secret or an unknown key in it is refused. */
export function readConfigFile(
  path: string,
  specs: readonly SettingSpec[],
  also: ConfigFileShape,
): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`config file ${path} must hold a JSON object`);
  }
  const shared = [...specs, ...(also.settings ?? []).flatMap((object) => specsOf(object))];
  const own = new Set(specs.filter(inFile).map((spec) => spec.key));
  const known = [...new Set([...shared.filter(inFile).map((spec) => spec.key), ...(also.keys ?? [])])];
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (own.has(key)) out[key] = typeof value === 'number' ? String(value) : value;
    else if (!known.includes(key)) throw new UsageError(describeStrayKey(path, key, known, shared));
  }
  return out;
}

/** Whether a setting may be in the config file: one with a variable, and no secret. */
function inFile(spec: SettingSpec): boolean {
  return spec.env !== null && !spec.secret;
}

// Names of secrets no setting has (another tool's, or a guess): refused as secrets all the same.
const SECRET_NAME = /token|secret|password|passwd|credential|apikey|privatekey/;

/**
 * Why `key` may not be in the config file: a secret (which never is: docs/recorder.md "Settings"),
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
    return `config file ${path} sets ${key}, a secret: use --${secret.flag}${secret.env ? ` or ${secret.env}` : ''} instead`;
  if (SECRET_NAME.test(name)) {
    return `config file ${path} sets ${key}, a secret: secrets go in flags or TIMHOOK_* environment variables, never in the config file`;
  }
  const closest = closestName(key, known);
  return closest
    ? `unknown key ${key} in ${path}: did you mean ${closest}?`
    : `unknown key ${key} in ${path}: the keys are ${known.join(', ')}`;
}
