import { type AnyEvent, dedupeKey, describeEvent } from '../protocol/index.js';
import type { LogEntry } from './change-log.js';

/** Turns a verified callback into what the change log stores. */
export function toLogEntry(event: AnyEvent): LogEntry {
  const facts = describeEvent(event);
  return {
    command: event.command,
    kind: facts.kind,
    effect: facts.effect,
    sdkAppId: event.sdkAppId,
    groupId: facts.groupId,
    topicId: facts.topicId,
    topicIds: facts.topicIds,
    groupType: facts.groupType,
    operator: facts.operator,
    optPlatform: event.query.OptPlatform,
    clientIp: event.query.ClientIP,
    eventTime: facts.eventTime,
    receivedAt: event.receivedAt,
    changes: facts.changes,
    rawBody: event.rawBody,
    dedupeKey: dedupeKey(event.sdkAppId, event.command, event.rawBody),
  };
}
