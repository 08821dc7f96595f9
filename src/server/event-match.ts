import { type EventQuery, isEventOfTopic, type RecordedEvent } from '../store/index.js';

/** The filters of an event query (no cursor), as the stream applies them to live events. */
export type EventFilter = Omit<EventQuery, 'after' | 'before' | 'order' | 'limit'>;

/** True when `event` passes every filter that is set, the same rules as the store's SQL. */
export function matchesFilter(event: RecordedEvent, filter: EventFilter): boolean {
  return (
    (filter.groupId === undefined || event.groupId === filter.groupId) &&
    (filter.topicId === undefined || isEventOfTopic(event, filter.topicId)) &&
    (filter.command === undefined || event.command === filter.command) &&
    (filter.operator === undefined || event.operator === filter.operator) &&
    (filter.kind === undefined || event.kind === filter.kind) &&
    (filter.optPlatform === undefined || event.optPlatform === filter.optPlatform) &&
    (filter.since === undefined || event.receivedAt >= filter.since) &&
    (filter.until === undefined || event.receivedAt <= filter.until)
  );
}
