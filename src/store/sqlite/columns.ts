import { type EventParts, joinEventJson, type EventRow } from '../rows.js';
import type { RenderedEvent } from '../change-log.js';

/** The columns of a `profiles` row, in ProfileRow's order. */
export const PROFILE_COLUMNS =
  'kind, id, group_id, group_type, fields, created_at, destroyed_at, first_seq, last_seq, last_changed_at, last_operator, change_count';

/** The columns of an `events` row, in EventRow's order. */
export const EVENT_COLUMNS =
  'seq, received_at, event_time, command, kind, sdk_app_id, group_id, topic_id, group_type, operator, opt_platform, client_ip, changes, diff, superseded, raw';

/** The columns a rendered event is joined from: EVENT_COLUMNS and `raw_inline` (see `toRenderedEvent`). */
export const RENDERED_COLUMNS = `${EVENT_COLUMNS}, raw_inline`;

/** An events row read as an array of EVENT_COLUMNS: much cheaper for the driver than an object. */
export function toEventRow(v: unknown[]): EventRow {
  return {
    seq: v[0] as number,
    received_at: v[1] as number,
    event_time: v[2] as number | null,
    command: v[3] as string,
    kind: v[4] as string,
    sdk_app_id: v[5] as string,
    group_id: v[6] as string | null,
    topic_id: v[7] as string | null,
    group_type: v[8] as string | null,
    operator: v[9] as string | null,
    opt_platform: v[10] as string | null,
    client_ip: v[11] as string | null,
    changes: v[12] as string,
    diff: v[13] as string,
    superseded: v[14] as string | null,
    raw: v[15] as string,
  };
}

/** A RENDERED_COLUMNS row read as an array, as the API sends it: joined, never parsed. */
export function toRenderedEvent(v: unknown[]): RenderedEvent {
  const parts: EventParts = {
    seq: v[0] as number,
    receivedAt: v[1] as number,
    eventTime: v[2] as number | null,
    command: v[3] as string,
    kind: v[4] as EventParts['kind'],
    sdkAppId: v[5] as string,
    groupId: v[6] as string | null,
    topicId: v[7] as string | null,
    groupType: v[8] as string | null,
    operator: v[9] as string | null,
    optPlatform: v[10] as string | null,
    clientIp: v[11] as string | null,
    changes: v[12] as string,
    diff: v[13] as string,
    superseded: v[14] as string | null,
    raw: v[15] as string,
    rawInline: v[16] === 1,
  };
  return {
    seq: parts.seq,
    receivedAt: parts.receivedAt,
    command: parts.command,
    kind: parts.kind,
    groupId: parts.groupId,
    topicId: parts.topicId,
    json: joinEventJson(parts),
    raw: parts.raw,
  };
}
