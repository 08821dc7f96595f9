import type Database from 'better-sqlite3';
import { changesOfRawBody } from '../body-changes.js';
import { joinHeadAndBody, recordedFromHead } from '../rows.js';
import type { RecordedEvent, RenderedEvent } from '../change-log.js';

/** The columns of a `profiles` row, in ProfileRow's order. */
export const PROFILE_COLUMNS =
  'kind, id, group_id, group_type, fields, created_at, destroyed_at, first_seq, last_seq, last_changed_at, last_operator, change_count';

/**
 * The SQL function that reads a logged callback's `changes` from its body, as JSON text
 * (store/body-changes.ts), for a row whose head leaves them out: `timhook_changes(command, raw)`.
 */
export const CHANGES_FUNCTION = 'timhook_changes';

/**
 * An event's head (rows.ts headWithColumns) as a read gets it. Since schema version 11 a row keeps
 * only the part of its head that its columns do not hold (rows.ts storedHead: `changes`, `diff`,
 * `superseded`), and the rest is joined here, as migration 9 joined it: json_quote escapes text as
 * JSON.stringify does. Since version 13 a head without `changes` (it starts `{"diff":`) gets them
 * from the body, with {@link CHANGES_FUNCTION}. Rows logged before version 11 keep their whole
 * head, which starts with `{"seq":`. Written with no ", " in it: the column lists below are split on it.
 */
export const HEAD_SQL =
  `(CASE WHEN substr(head,1,7) = '{"seq":' THEN head ELSE '{"seq":' || seq || ',"receivedAt":' || received_at ||` +
  ` ',"eventTime":' || ifnull(event_time,'null') || ',"command":' || json_quote(command) ||` +
  ` ',"kind":' || json_quote(kind) || ',"sdkAppId":' || json_quote(sdk_app_id) ||` +
  ` ',"groupId":' || json_quote(group_id) || ',"topicId":' || json_quote(topic_id) ||` +
  ` ',"groupType":' || json_quote(group_type) || ',"operator":' || json_quote(operator) ||` +
  ` ',"optPlatform":' || json_quote(opt_platform) || ',"clientIp":' || json_quote(client_ip) || ','` +
  ` || (CASE WHEN substr(head,1,8) = '{"diff":' THEN '"changes":' || ${CHANGES_FUNCTION}(command,raw) || ',' ELSE '' END)` +
  ` || substr(head,2) END) AS head`;

/** Defines {@link CHANGES_FUNCTION} on `db`, for the reads of {@link HEAD_SQL} and the field filter. */
export function defineChangesFunction(db: Database.Database): void {
  db.function(CHANGES_FUNCTION, { deterministic: true }, (command: unknown, raw: unknown) =>
    typeof command === 'string' && typeof raw === 'string' ? changesOfRawBody(command, raw) : '{}',
  );
}

/** The columns an event is read from (see `toEventRow`): its head holds all but its body. */
export const EVENT_COLUMNS = `seq, ${HEAD_SQL}, raw`;

/** The columns a rendered event is joined from (see `toRenderedEvent`). */
export const RENDERED_COLUMNS = `seq, received_at, command, kind, group_id, topic_id, ${HEAD_SQL}, raw, raw_inline`;

/** An EVENT_COLUMNS row, read as an array (much cheaper for the driver than an object). */
export function toRecordedRow(v: unknown[]): RecordedEvent {
  return recordedFromHead(v[1] as string, v[2] as string);
}

/** A RENDERED_COLUMNS row read as an array, as the API sends it: joined, never parsed. */
export function toRenderedEvent(v: unknown[]): RenderedEvent {
  const raw = v[7] as string;
  return {
    seq: v[0] as number,
    receivedAt: v[1] as number,
    command: v[2] as string,
    kind: v[3] as RenderedEvent['kind'],
    groupId: v[4] as string | null,
    topicId: v[5] as string | null,
    json: joinHeadAndBody(v[6] as string, raw, v[8] === 1),
    raw,
  };
}
