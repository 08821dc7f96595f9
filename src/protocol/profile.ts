/** The profile fields a change callback can carry (seed 003, seed 000). */
export const BASE_FIELDS = ['Name', 'Introduction', 'Notification', 'FaceUrl'] as const;

export type BaseField = (typeof BASE_FIELDS)[number];

/** Prefix of a custom field's name in diffs and profiles: `customFields.<Key>`. */
export const CUSTOM_PREFIX = 'customFields.';

/** What one callback says changed: only the fields present (seed 003 "only the fields that changed"). */
export interface ProfileChange {
  Name?: string;
  Introduction?: string;
  Notification?: string;
  FaceUrl?: string;
  /** Custom fields by key; only the keys that changed. */
  customFields?: Record<string, string>;
}

/** The current value of one field, and when and by whom it was last set. */
export interface FieldState {
  value: string;
  /** The `EventTime` (ms) of the change that set it, `null` when the callback had none. */
  eventTime: number | null;
  /** When that change arrived, ms. */
  changedAt: number;
  operator: string | null;
  /** The log sequence of that change, once recorded. */
  seq: number | null;
}

/** A group's or topic's current profile, field by field (`Name`, …, `customFields.<Key>`). */
export interface Profile {
  fields: Record<string, FieldState>;
}

/** One field that really changed. `from` is `null` when the old value was never seen. */
export interface FieldDiff {
  field: string;
  from: string | null;
  to: string;
}

/** Lists the fields of a change as `[name, value]` pairs, custom fields as `customFields.<Key>`. */
export function changeEntries(change: ProfileChange): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const field of BASE_FIELDS) {
    const value = change[field];
    if (value !== undefined) out.push([field, value]);
  }
  if (change.customFields) {
    for (const [key, value] of Object.entries(change.customFields))
      out.push([`${CUSTOM_PREFIX}${key}`, value]);
  }
  return out;
}
