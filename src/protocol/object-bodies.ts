/**
 * The callbacks, and the log entries made of them, whose raw body is known to be one JSON object:
 * the receiver parsed it so. A store splices such a body into an event's JSON as it is, without
 * parsing it again (the body is the largest thing it would parse per event). Held by identity in a
 * WeakSet: a copy of an entry with another body is not in it, and is checked as any other.
 * Internal: not part of `timhook/protocol`.
 */
const objectBodies = new WeakSet<object>();

/** Says that `holder.rawBody` parsed as one JSON object. */
export function markObjectBody(holder: { rawBody: string }): void {
  objectBodies.add(holder);
}

/** True when `holder` was marked by {@link markObjectBody}. */
export function hasObjectBody(holder: { rawBody: string }): boolean {
  return objectBodies.has(holder);
}
