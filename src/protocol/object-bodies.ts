/**
 * Which bodies are known to be one JSON object, because the receiver parsed them so: a store
 * splices such a body into an event's JSON as it is, without parsing it again (the body is the
 * largest thing it would parse per event). Internal: not part of `timhook/protocol`.
 *
 * The receiver remembers the last callback it parsed; `toLogEntry`, which the recorder calls on
 * that callback before the receiver reads another, keeps the body in the entry under
 * {@link OBJECT_BODY}. A copy of an entry with another body (as the contract suite makes) keeps the
 * old one there, which is not its body: it is checked as any other. (A `WeakSet` of the parsed
 * objects did the same at about the cost of the parse it saved.)
 */
let lastEvent: object | null = null;
let lastBody: string | null = null;

/** The receiver parsed `event.rawBody` as one JSON object. */
export function markParsedEvent(event: { rawBody: string }): void {
  lastEvent = event;
  lastBody = event.rawBody;
}

/** True when `event` is the last one the receiver parsed, with its body unchanged. */
export function isParsedEvent(event: { rawBody: string }): boolean {
  return event === lastEvent && event.rawBody === lastBody;
}

/** Where a log entry keeps its body, when that body is known to be one JSON object. */
export const OBJECT_BODY: unique symbol = Symbol('timhook.objectBody');

/** True when `entry.rawBody` is known to be one JSON object. */
export function hasObjectBody(entry: { rawBody: string; [OBJECT_BODY]?: string | undefined }): boolean {
  return entry[OBJECT_BODY] === entry.rawBody;
}
