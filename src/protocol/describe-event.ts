import { Commands } from './commands.js';
import type { AnyEvent } from './event.js';
import { parseEventTime } from './event-time.js';
import { communityIdOf, isTopicId } from './ids.js';
import type { ProfileChange } from './profile.js';

/** What a callback does to the projection. */
export type EventEffect = 'change' | 'create' | 'destroy' | 'none';

/** The facts of a callback that a log or a projection needs, whatever its command. */
export interface EventFacts {
  kind: 'group' | 'topic';
  effect: EventEffect;
  /** The group, or for a topic its community. */
  groupId: string | null;
  /** The topic; `null` for a group, or for a topic change that did not say which (UNSETTLED). */
  topicId: string | null;
  /** Every topic a `TopicDestroyed` closes. */
  topicIds: string[];
  groupType: string | null;
  operator: string | null;
  eventTime: number | null;
  changes: ProfileChange;
}

/**
 * Extracts {@link EventFacts} from a verified callback. A topic callback names its topic by
 * `TopicId`, or by a `GroupId` that is itself a topic id (docs/protocol.md §2); without either the change
 * belongs to the community with the topic unknown.
 */
export function describeEvent(event: AnyEvent): EventFacts {
  const body = event.body as Record<string, unknown>;
  const rawGroupId = str(body.GroupId);
  const facts: EventFacts = {
    kind: 'group',
    effect: 'none',
    groupId: rawGroupId,
    topicId: null,
    topicIds: [],
    groupType: str(body.Type),
    operator: str(body.Operator_Account) ?? str(body.Owner_Account),
    // A schema turns EventTime into a number, but a command without one keeps it as sent (§2).
    eventTime: parseEventTime(body.EventTime) ?? null,
    changes: changesOfBody(event.command, body),
  };
  switch (event.command) {
    case Commands.GroupInfoChanged:
      facts.effect = 'change';
      break;
    case Commands.CreateGroup:
      facts.effect = 'create';
      break;
    case Commands.GroupDestroyed:
      facts.effect = 'destroy';
      break;
    case Commands.TopicInfoChanged:
    case Commands.CreateTopic:
      Object.assign(facts, topicOf(rawGroupId, str(body.TopicId)));
      facts.effect = event.command === Commands.CreateTopic ? 'create' : 'change';
      break;
    case Commands.TopicDestroyed: {
      const list = Array.isArray(body.TopicIdList)
        ? body.TopicIdList.filter((t) => typeof t === 'string')
        : [];
      facts.kind = 'topic';
      facts.effect = 'destroy';
      facts.groupId = rawGroupId === null ? null : communityIdOf(rawGroupId);
      facts.topicIds = list;
      facts.topicId = list.length === 1 ? list[0]! : null;
      break;
    }
  }
  return facts;
}

function topicOf(
  groupId: string | null,
  topicId: string | null,
): Pick<EventFacts, 'kind' | 'groupId' | 'topicId'> {
  if (topicId) return { kind: 'topic', groupId: communityIdOf(groupId ?? topicId), topicId };
  if (groupId && isTopicId(groupId))
    return { kind: 'topic', groupId: communityIdOf(groupId), topicId: groupId };
  return { kind: 'topic', groupId, topicId: null };
}

/**
 * The profile change a callback's body carries, as {@link describeEvent} reads it: the profile
 * fields of a change or a creation, nothing for any other command. A store that keeps the body may
 * read the change from it again instead of keeping both.
 */
export function changesOfBody(command: string, body: Record<string, unknown>): ProfileChange {
  switch (command) {
    case Commands.GroupInfoChanged:
    case Commands.CreateGroup:
    case Commands.TopicInfoChanged:
    case Commands.CreateTopic:
      return readChange(body);
    default:
      return {};
  }
}

function readChange(body: Record<string, unknown>): ProfileChange {
  const change: ProfileChange = {};
  for (const field of ['Name', 'Introduction', 'Notification', 'FaceUrl'] as const) {
    const value = body[field];
    if (typeof value === 'string') change[field] = value;
  }
  if (Array.isArray(body.UserDefinedDataList) && body.UserDefinedDataList.length > 0) {
    change.customFields = readCustomFields(body.UserDefinedDataList as Array<{ Key: string; Value: string }>);
  }
  return change;
}

/**
 * The custom fields of a `UserDefinedDataList`, as `Object.fromEntries` of its pairs would make
 * them (a key listed twice keeps its first place and its last value), without an array per pair.
 * A key `__proto__` (letters and `_`, so a valid key, docs/protocol.md §3) is defined as a field,
 * not assigned, which would set the object's prototype.
 */
function readCustomFields(list: ReadonlyArray<{ Key: string; Value: string }>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const entry of list) {
    // The property key fromEntries would make of a Key that is not a string (a topic's list is
    // not checked by a schema): `["__proto__"]` too names `__proto__`.
    const key = String(entry.Key);
    const value = entry.Value;
    if (key === '__proto__')
      Object.defineProperty(fields, key, { value, enumerable: true, writable: true, configurable: true });
    else fields[key] = value;
  }
  return fields;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
