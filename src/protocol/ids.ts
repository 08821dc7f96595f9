/** What separates a community id from a topic's own part (docs/protocol.md §3). */
export const TOPIC_MARKER = '@TOPIC#_';
/** Prefix of every generated group id. */
export const GROUP_ID_PREFIX = '@TGS#';
/** Prefix every Community id must carry, generated or custom. */
export const COMMUNITY_ID_PREFIX = '@TGS#_';

/** Longest custom group id, in bytes (exclusive bound: "under 48 bytes"). */
export const MAX_GROUP_ID_BYTES = 48;
/** Longest topic id, in bytes. */
export const MAX_TOPIC_ID_BYTES = 96;

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** True when `id` names a topic (`<community>@TOPIC#_<part>`). */
export function isTopicId(id: string): boolean {
  return id.indexOf(TOPIC_MARKER) > 0;
}

/** The community id of a topic id; `id` itself when it is not a topic id. */
export function communityIdOf(id: string): string {
  const at = id.indexOf(TOPIC_MARKER);
  return at > 0 ? id.slice(0, at) : id;
}

/**
 * Why `id` cannot be a custom group id of `type`, or `null` when it can: printable ASCII under 48
 * bytes, not starting with `@TGS#` unless it is a Community id, which must start with `@TGS#_`.
 */
export function checkCustomGroupId(id: string, type: string): string | null {
  if (!PRINTABLE_ASCII.test(id)) return 'a group id is printable ASCII';
  if (id.length >= MAX_GROUP_ID_BYTES) return `a group id is under ${MAX_GROUP_ID_BYTES} bytes`;
  if (id.includes(TOPIC_MARKER)) return `a group id must not contain ${TOPIC_MARKER}`;
  if (type === 'Community') {
    return id.startsWith(COMMUNITY_ID_PREFIX) ? null : `a Community id starts with ${COMMUNITY_ID_PREFIX}`;
  }
  return id.startsWith(GROUP_ID_PREFIX) ? `a custom group id must not start with ${GROUP_ID_PREFIX}` : null;
}

/**
 * Why `part` cannot be the custom part of a topic id in `communityId`, or `null` when it can.
 */
export function checkCustomTopicPart(communityId: string, part: string): string | null {
  if (!PRINTABLE_ASCII.test(part)) return 'a topic id is printable ASCII';
  if (communityId.length + TOPIC_MARKER.length + part.length > MAX_TOPIC_ID_BYTES) {
    return `a topic id is at most ${MAX_TOPIC_ID_BYTES} bytes`;
  }
  return null;
}

/** Random upper-case letters and digits, from the runtime's CSPRNG. */
export function randomIdPart(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = '';
  for (const b of bytes) out += ALNUM[b % ALNUM.length];
  return out;
}

/** A new group id in the documented shape: `@TGS#…`, or `@TGS#_@TGS#…` for a Community. */
export function generateGroupId(type: string): string {
  const own = `${GROUP_ID_PREFIX}${randomIdPart(10)}`;
  return type === 'Community' ? `${COMMUNITY_ID_PREFIX}${own}` : own;
}

/** A topic id: `<community>@TOPIC#_<part>`, with a generated `@TOPIC#…` part when none is given. */
export function makeTopicId(communityId: string, part?: string): string {
  return `${communityId}${TOPIC_MARKER}${part ?? `@TOPIC#${randomIdPart(10)}`}`;
}
