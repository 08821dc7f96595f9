/** Byte limits of a group's profile fields (UTF-8 bytes; a CJK character is 3). */
export interface GroupLimits {
  Name: number;
  Introduction: number;
  Notification: number;
  FaceUrl: number;
}

/** The documented set (docs/protocol.md §3): the default. */
export const DEFAULT_GROUP_LIMITS: Readonly<GroupLimits> = Object.freeze({
  Name: 30,
  Introduction: 240,
  Notification: 300,
  FaceUrl: 100,
});

/** The set of a newer Web SDK page (UNSETTLED in docs/protocol.md §3): an option. */
export const NEWER_GROUP_LIMITS: Readonly<GroupLimits> = Object.freeze({
  Name: 100,
  Introduction: 400,
  Notification: 400,
  FaceUrl: 500,
});

/** Byte limits of a topic's profile fields. */
export const TOPIC_LIMITS = Object.freeze({
  TopicName: 30,
  Introduction: 240,
  Notification: 300,
  FaceUrl: 100,
  CustomString: 3000,
});

/** Limits of group-specific custom fields. */
export const CUSTOM_FIELD_LIMITS = Object.freeze({ maxFields: 10, keyBytes: 16, valueBytes: 512 });

const CUSTOM_KEY = /^[A-Za-z0-9_]{1,16}$/;

/** True when `key` may name a custom field: 1–16 letters, digits or `_`. */
export function isValidCustomFieldKey(key: string): boolean {
  return CUSTOM_KEY.test(key);
}

/** The UTF-8 length of `text` in bytes, without allocating. */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** A field over its byte limit. */
export interface LimitViolation {
  field: string;
  bytes: number;
  limit: number;
}

/**
 * The fields of `values` whose UTF-8 length passes its entry in `limits`; fields absent from either
 * are not checked.
 */
export function findLimitViolations(
  values: Readonly<Record<string, unknown>>,
  limits: Readonly<Record<string, number>>,
): LimitViolation[] {
  const out: LimitViolation[] = [];
  for (const [field, limit] of Object.entries(limits)) {
    const value = values[field];
    if (typeof value !== 'string') continue;
    const bytes = utf8ByteLength(value);
    if (bytes > limit) out.push({ field, bytes, limit });
  }
  return out;
}
