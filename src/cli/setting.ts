import { z } from 'zod';

/** What a command line needs to know of a setting, besides the schema that checks its value. */
export interface SettingMeta {
  /** The flag, without `--`: `max-skew`. */
  flag: string;
  /** One line or two for `--help`: what it does and the rules its value follows. */
  help: string;
  /** `--flag <placeholder>` in `--help`. Default: `value`. */
  placeholder?: string;
  /**
   * Whether the `TIMHOOK_*` variable and the config file may set it too. Default true; false for a
   * setting of one run (`--sink`) or one another command owns the variable of (`--port`).
   */
  env?: boolean;
  /** Never printed, never read from the config file (docs/recorder.md "Settings"). */
  secret?: boolean;
}

/** How a setting is given on the command line: `--flag value`, `--flag`, or `--flag a --flag b`. */
export type SettingKind = 'string' | 'boolean' | 'list';

/** One setting, derived from its schema and meta: what parsing, help and masking read. */
export interface SettingSpec {
  /** Its key in the settings object and the config file: `maxSkew`. */
  key: string;
  flag: string;
  kind: SettingKind;
  /** `TIMHOOK_MAX_SKEW`, or null for a flag only. */
  env: string | null;
  secret: boolean;
  help: string;
  placeholder: string;
  /** The schema's default, shown in `--help`. */
  default: unknown;
}

const settings = z.registry<SettingMeta>();

/**
 * Marks `schema` as a command-line setting: the same schema, with its flag, help and the rest
 * attached. Chain nothing after it: the meta belongs to this very schema.
 *
 * @example
 * const Settings = z.object({
 *   port: setting(wholeNumber('port', 0, 65_535).default(8787), { flag: 'port', help: 'Port.' }),
 * });
 */
export function setting<T extends z.ZodType>(schema: T, meta: SettingMeta): T {
  settings.add(schema, meta);
  return schema;
}

/** Every setting of a command's settings object, in declaration order. */
export function specsOf(object: z.ZodObject): SettingSpec[] {
  return Object.entries(object.shape).map(([key, schema]) => {
    const meta = settings.get(schema);
    if (!meta) throw new TypeError(`[timhook] the setting ${key} is not declared with setting()`);
    return {
      key,
      flag: meta.flag,
      kind: kindOf(schema),
      env: meta.env === false ? null : `TIMHOOK_${meta.flag.replace(/-/g, '_').toUpperCase()}`,
      secret: meta.secret === true,
      help: meta.help,
      placeholder: meta.placeholder ?? 'value',
      default: schema instanceof z.ZodDefault ? (schema.def.defaultValue as unknown) : undefined,
    };
  });
}

/** What the value's schema takes: a boolean is a switch, an array a repeatable flag. */
function kindOf(schema: z.core.$ZodType): SettingKind {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault) return kindOf(schema.unwrap());
  // A preprocessed value (a comma list) is what it is after the preprocessing.
  if (schema instanceof z.ZodPipe)
    return kindOf(schema.in instanceof z.ZodTransform ? schema.out : schema.in);
  if (schema instanceof z.ZodBoolean) return 'boolean';
  if (schema instanceof z.ZodArray) return 'list';
  return 'string';
}

/** A whole number from `min` to `max`, read from text; each message names the flag. */
export function wholeNumber(flag: string, min: number, max: number) {
  return z.coerce
    .number({ error: `--${flag} must be a whole number` })
    .int(`--${flag} must be a whole number`)
    .min(min, `--${flag} must be at least ${min}`)
    .max(max, `--${flag} must be at most ${max}`);
}

/** One of `values`; a wrong one is told them all. */
export function oneOf<T extends string>(flag: string, values: readonly [T, ...T[]]) {
  const allowed = values.length === 2 ? values.join(' or ') : `one of ${values.join(', ')}`;
  return z.enum(values, { error: `--${flag} must be ${allowed}` });
}

/** A repeatable flag whose every value may also be a comma list: `--admin a,b --admin c`. */
export function commaList<T extends z.ZodArray>(schema: T) {
  return z.preprocess(
    (value) =>
      Array.isArray(value) ? value.flatMap((item: string) => item.split(',').map((s) => s.trim())) : value,
    schema,
  );
}
