import { Commands, communityIdOf } from '../protocol/index.js';
import type { EventQuery } from './change-log.js';
import { buildEventFilter, type FieldMatch, type SqlFilter } from './event-filter.js';

/**
 * The second select of a query for one topic's events. A `TopicDestroyed` that closes several
 * topics names no one topic: it is logged against their community with `topic_id` NULL, so
 * `topic_id = ?` misses it. This filter picks the community's such events (the partial index
 * `events_topic_destroys`, which holds only those) under every other filter of `query`; the store
 * keeps the ones whose body lists the topic ({@link listsTopic}) and merges them with the first
 * select by seq ({@link mergeBySeq}). Null when `query` names no topic, or its other filters rule
 * such events out. `fields`: as for {@link buildEventFilter}.
 */
export function buildTopicDestroysFilter(query: EventQuery, fields: FieldMatch): SqlFilter | null {
  const { topicId, ...rest } = query;
  if (topicId === undefined) return null;
  const community = communityIdOf(topicId);
  if (rest.groupId !== undefined && rest.groupId !== community) return null;
  if (rest.command !== undefined && rest.command !== Commands.TopicDestroyed) return null;
  if (rest.kind !== undefined && rest.kind !== 'topic') return null;
  const filter = buildEventFilter({ ...rest, groupId: community }, fields);
  // Constants, not parameters: a partial index serves only a query that states its own terms.
  return {
    ...filter,
    where: `${filter.where} AND topic_id IS NULL AND command = '${Commands.TopicDestroyed}'`,
  };
}

/** True when `body` (a callback's body, parsed or as received) lists `topicId` in its `TopicIdList`. */
export function listsTopic(body: unknown, topicId: string): boolean {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return false;
    }
  }
  const list =
    typeof value === 'object' && value !== null ? (value as { TopicIdList?: unknown }).TopicIdList : null;
  return Array.isArray(list) && list.includes(topicId);
}

/**
 * True when an event is one of `topicId`'s: logged against it, or a `TopicDestroyed` of several
 * topics that lists it (the live stream's rule, the same as the stores' two selects).
 */
export function isEventOfTopic(
  event: { topicId: string | null; command: string; raw: unknown },
  topicId: string,
): boolean {
  if (event.topicId === topicId) return true;
  return (
    event.topicId === null && event.command === Commands.TopicDestroyed && listsTopic(event.raw, topicId)
  );
}

/** Merges two lists of rows each ordered by seq (`order`) into one, and keeps its first `count`. */
export function mergeBySeq<T>(
  first: readonly T[],
  second: readonly T[],
  seqOf: (row: T) => number,
  order: 'ASC' | 'DESC',
  count: number,
): T[] {
  if (second.length === 0) return first.slice(0, count);
  const before = (a: T, b: T) => (order === 'ASC' ? seqOf(a) < seqOf(b) : seqOf(a) > seqOf(b));
  const merged: T[] = [];
  let i = 0;
  let j = 0;
  while (merged.length < count && (i < first.length || j < second.length)) {
    if (j >= second.length || (i < first.length && before(first[i]!, second[j]!))) merged.push(first[i++]!);
    else merged.push(second[j++]!);
  }
  return merged;
}
