import type { RecordedEvent } from '../store/index.js';
import type { RelayMessage } from './sink.js';

/** What a sink's messages carry: the event as the API returns it, or the original Tencent body. */
export type PayloadKind = 'event' | 'original';

/** The stable id of an event's message on every sink: `<sdkAppId>:<seq>`. */
export function messageId(event: RecordedEvent): string {
  return `${event.sdkAppId}:${event.seq}`;
}

/**
 * Builds the message of `event`. `original` is the callback body as Tencent sent it, parsed and
 * serialized again (the same JSON value; whitespace may differ).
 */
export function toRelayMessage(event: RecordedEvent, payload: PayloadKind): RelayMessage {
  const body =
    payload === 'event'
      ? JSON.stringify(event)
      : typeof event.raw === 'string'
        ? event.raw
        : JSON.stringify(event.raw);
  return { id: messageId(event), seq: event.seq, event, body };
}
