import { hash } from 'node:crypto';
import { type AnyEvent, describeEvent } from '../protocol/index.js';
import { isParsedEvent, OBJECT_BODY } from '../protocol/object-bodies.js';
import { BODY_CHANGES } from './body-changes.js';
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
    dedupeKey: nodeDedupeKey(event.sdkAppId, event.command, event.rawBody),
    // A body the receiver parsed: a store need not parse it again (protocol/object-bodies.ts).
    [OBJECT_BODY]: isParsedEvent(event) ? event.rawBody : undefined,
    // Read from the body: a store may read it from there again (store/body-changes.ts).
    [BODY_CHANGES]: facts.changes,
  };
}

/**
 * The protocol's `dedupeKey`, computed with node:crypto: the same key (a test pins it), about
 * three times cheaper than the portable SHA-256 on the recorder's hot path. The one-shot `hash`
 * (Node 20.12+) costs about half of a `createHash` object's update and digest.
 */
export function nodeDedupeKey(sdkAppId: string, command: string, rawBody: string): string {
  return hash('sha256', `${sdkAppId}\n${command}\n${rawBody}`, 'hex');
}
