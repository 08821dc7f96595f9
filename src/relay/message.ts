import type { RenderedEvent } from '../store/index.js';
import type { RelayMessage } from './sink.js';

/** What a sink's messages carry: the event as the API returns it, or the original Tencent body. */
export type PayloadKind = 'event' | 'original';

/** The stable id of an event's message on every sink: `<sdkAppId>:<seq>`. */
export function messageId(sdkAppId: string, seq: number): string {
  return `${sdkAppId}:${seq}`;
}

/**
 * Builds the message of `event` for the app `sdkAppId`. The body is text the log already holds:
 * the event's JSON, rendered once when it was logged, or the callback body exactly as Tencent sent
 * it. Nothing is parsed or serialized per message.
 */
export function toRelayMessage(event: RenderedEvent, payload: PayloadKind, sdkAppId: string): RelayMessage {
  return {
    id: messageId(sdkAppId, event.seq),
    seq: event.seq,
    sdkAppId,
    event,
    body: payload === 'event' ? event.json : event.raw,
  };
}
