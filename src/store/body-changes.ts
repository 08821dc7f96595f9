import { changesOfBody, type ProfileChange } from '../protocol/index.js';
import { hasObjectBody, type OBJECT_BODY } from '../protocol/object-bodies.js';

/**
 * Where a log entry keeps the change it read from its body (`toLogEntry`), so that a store can
 * tell that `changes` is still that change and leave it out of what it writes: a read gets it
 * from the body again ({@link changesOfRawBody}). A copy of an entry given other `changes` holds
 * another object there, and is written whole.
 */
export const BODY_CHANGES: unique symbol = Symbol('timhook.bodyChanges');

/** What {@link isChangeOfBody} reads of an entry. */
interface EntryWithBody {
  command: string;
  changes: ProfileChange;
  rawBody: string;
  [OBJECT_BODY]?: string | undefined;
  [BODY_CHANGES]?: ProfileChange | undefined;
}

/**
 * True when `entry.changes` is what {@link changesOfRawBody} reads from its body: the receiver
 * parsed the body as one JSON object, and the change is the one read from it.
 */
export function isChangeOfBody(entry: EntryWithBody): boolean {
  return entry[BODY_CHANGES] === entry.changes && hasObjectBody(entry);
}

/**
 * The change a logged callback's body carries, read again from the body as `describeEvent` read it
 * when the callback came; none for a body that is not a JSON object.
 */
export function readChangesOfRawBody(command: string, rawBody: string): ProfileChange {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return {};
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  return changesOfBody(command, body as Record<string, unknown>);
}

/** {@link readChangesOfRawBody} as JSON text, as a stored head would have held it. */
export function changesOfRawBody(command: string, rawBody: string): string {
  return JSON.stringify(readChangesOfRawBody(command, rawBody));
}
