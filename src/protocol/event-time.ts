/**
 * Reads an `EventTime` (milliseconds). Public pages send it as a number on some pages and as a
 * numeric string on others (docs/protocol.md §2): both are accepted. Anything else gives `undefined`.
 */
export function parseEventTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && /^\d{1,16}$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}
