import { type EventParts, joinEventJson, type EventRow } from '../rows.js';
import type { RenderedEvent } from '../change-log.js';

/** The columns of a `profiles` row, in ProfileRow's order. */
export const PROFILE_COLUMNS =
  'kind, id, group_id, group_type, fields, created_at, destroyed_at, first_seq, last_seq, last_changed_at, last_operator, change_count';

/** The columns of an `events` row, in EventRow's order. */
export const EVENT_COLUMNS =
  'seq, received_at, event_time, command, kind, sdk_app_id, group_id, topic_id, group_type, operator, opt_platform, client_ip, changes, diff, superseded, raw';

/**
 * The event's API JSON joined by SQLite, as `joinEventJson` joins it in JavaScript (the same text:
 * `json_quote` escapes as `JSON.stringify` does), for the rows whose body is spliced in as it is
 * (`raw_inline`); NULL for the others. One flat string per row from the driver, instead of some
 * thirty pieces joined on the event loop and flattened again when sent: the relay and the API read
 * every event this way.
 */
const JOINED_JSON = `CASE WHEN raw_inline THEN '{"seq":' || seq || ',"receivedAt":' || received_at ||
  ',"eventTime":' || json_quote(event_time) || ',"command":' || json_quote(command) ||
  ',"kind":' || json_quote(kind) || ',"sdkAppId":' || json_quote(sdk_app_id) ||
  ',"groupId":' || json_quote(group_id) || ',"topicId":' || json_quote(topic_id) ||
  ',"groupType":' || json_quote(group_type) || ',"operator":' || json_quote(operator) ||
  ',"optPlatform":' || json_quote(opt_platform) || ',"clientIp":' || json_quote(client_ip) ||
  ',"changes":' || changes || ',"diff":' || diff || ifnull(',"superseded":' || superseded, '') ||
  ',"raw":' || trim(raw, ' ' || char(9)) || '}' END`;

/**
 * The columns a rendered event is read from: EVENT_COLUMNS, `raw_inline`, and its JSON when SQLite
 * can join it (see `toRenderedEvent`). An inline body has no line break and, being JSON, no other
 * space around it than spaces and tabs: `trim` here takes what `String.prototype.trim` takes.
 */
export const RENDERED_COLUMNS = `${EVENT_COLUMNS}, raw_inline, ${JOINED_JSON}`;

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
  const joined = v[17] as string | null;
  if (joined !== null) {
    return {
      seq: v[0] as number,
      receivedAt: v[1] as number,
      command: v[3] as string,
      kind: v[4] as RenderedEvent['kind'],
      groupId: v[6] as string | null,
      topicId: v[7] as string | null,
      json: joined,
      raw: v[15] as string,
    };
  }
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
