/** Documented `OptPlatform` values (Webhook Overview, docs/protocol.md §1). */
export const OptPlatforms = [
  'RESTAPI',
  'Web',
  'Android',
  'iOS',
  'Windows',
  'Mac',
  'iPad',
  'Unknown',
] as const;

export type OptPlatform = (typeof OptPlatforms)[number];

// A Map, not an object literal: the value comes from the URL, and `aliases['constructor']` on a
// plain object would hand back a function instead of the string that was sent.
const aliases: ReadonlyMap<string, OptPlatform> = new Map([
  ['macOS', 'Mac'],
  ['IOS', 'iOS'],
]);

/**
 * Normalises an `OptPlatform` query value: `macOS` → `Mac`, `IOS` → `iOS`; an unknown value is kept
 * exactly as sent (docs/protocol.md §1: never reject it). Missing or empty gives `null`.
 */
export function normalizeOptPlatform(value: string | null | undefined): string | null {
  if (value === undefined || value === null || value === '') return null;
  return aliases.get(value) ?? value;
}
