import { BASE_FIELDS, CUSTOM_PREFIX, type FieldDiff, type Profile, type ProfileChange } from './profile.js';

/** One change to merge into a profile. */
export interface ChangeInput {
  changes: ProfileChange;
  /** The callback's `EventTime` in ms, `null` when it had none. */
  eventTime: number | null;
  operator: string | null;
  /** Arrival time, ms. */
  receivedAt: number;
  seq?: number | null;
}

/** The merged profile, the fields that really changed, and the fields this change lost. */
export interface ChangeResult {
  next: Profile;
  diff: FieldDiff[];
  /** Fields this change carried but did not apply, because a newer `EventTime` had set them. */
  superseded: string[];
}

/**
 * Merges `input` into `profile` (which is not modified). Changes must be applied in arrival order.
 * Per field, the value with the newer `EventTime` wins; on a tie, or when either side has no
 * `EventTime`, the later arrival (this change) wins (docs/recorder.md, "Out of order"). A field
 * set to the value it already has is not in `diff`, but its `EventTime` advances so an older late
 * change still loses to it.
 */
export function applyChange(profile: Profile | undefined, input: ChangeInput): ChangeResult {
  const result: ChangeResult = { next: { fields: { ...profile?.fields } }, diff: [], superseded: [] };
  // Field by field in the order of `changeEntries`, without building its pairs: this runs for
  // every event a recorder logs.
  const { changes } = input;
  for (const field of BASE_FIELDS) {
    const value = changes[field];
    if (value !== undefined) mergeField(result, field, value, input);
  }
  const custom = changes.customFields;
  if (custom) {
    for (const key of Object.keys(custom)) mergeField(result, `${CUSTOM_PREFIX}${key}`, custom[key]!, input);
  }
  return result;
}

/** Merges one field's `value` into `result`, as {@link applyChange} says. */
function mergeField(result: ChangeResult, field: string, value: string, input: ChangeInput): void {
  const { fields } = result.next;
  const current = fields[field];
  if (current && isOlder(input.eventTime, current.eventTime)) {
    result.superseded.push(field);
    return;
  }
  if (current && current.value === value) {
    if (input.eventTime !== null) fields[field] = { ...current, eventTime: input.eventTime };
    return;
  }
  fields[field] = {
    value,
    eventTime: input.eventTime,
    changedAt: input.receivedAt,
    operator: input.operator,
    seq: input.seq ?? null,
  };
  result.diff.push({ field, from: current ? current.value : null, to: value });
}

function isOlder(incoming: number | null, current: number | null): boolean {
  return incoming !== null && current !== null && incoming < current;
}
