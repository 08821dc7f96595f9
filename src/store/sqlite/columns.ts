import type Database from 'better-sqlite3';
import { changesOfRawBody } from '../body-changes.js';
import { HEAD_WITHOUT_CHANGES, joinHeadAndBody, recordedFromHead } from '../rows.js';
import type { RecordedEvent, RenderedEvent } from '../change-log.js';

/** The columns of a `profiles` row, in ProfileRow's order. */
export const PROFILE_COLUMNS =
  'kind, id, group_id, group_type, fields, created_at, destroyed_at, first_seq, last_seq, last_changed_at, last_operator, change_count';

/**
 * An event's head (rows.ts headWithColumns) as a read gets it. Since schema version 11 a row keeps
 * only the part of its head that its columns do not hold (rows.ts storedHead: `changes`, `diff`,
 * `superseded`), and the rest is joined here, as migration 9 joined it: json_quote escapes text as
 * JSON.stringify does. Rows logged before keep their whole head, which starts with `{"seq":`.
 * Since version 13 a callback's head leaves out the changes its body holds (it starts `{"diff":`,
 * {@link SHORT_SQL}): the reads put them in from the body ({@link withChangesOfBody}), in
 * JavaScript, which has the body in hand, rather than through an SQL function here, which took the
 * body across once more and cost more (docs/performance.md, "Schema version 13").
 * Written with no ", " in it: the column lists below are split on it.
 */
export const HEAD_SQL =
  `(CASE WHEN substr(head,1,7) = '{"seq":' THEN head ELSE '{"seq":' || seq || ',"receivedAt":' || received_at ||` +
  ` ',"eventTime":' || ifnull(event_time,'null') || ',"command":' || json_quote(command) ||` +
  ` ',"kind":' || json_quote(kind) || ',"sdkAppId":' || json_quote(sdk_app_id) ||` +
  ` ',"groupId":' || json_quote(group_id) || ',"topicId":' || json_quote(topic_id) ||` +
  ` ',"groupType":' || json_quote(group_type) || ',"operator":' || json_quote(operator) ||` +
  ` ',"optPlatform":' || json_quote(opt_platform) || ',"clientIp":' || json_quote(client_ip) ||` +
  ` ',' || substr(head,2) END) AS head`;

/** 1 when a row's head leaves its changes to its body (schema version 13, store/body-changes.ts). */
const SHORT_SQL = `substr(head,1,${HEAD_WITHOUT_CHANGES.length}) = '${HEAD_WITHOUT_CHANGES}' AS short`;

/**
 * The SQL function that reads a logged callback's `changes` from its body, as JSON text
 * (store/body-changes.ts): `timhook_changes(command, raw)`, for the field filter
 * (sqlite/field-match.ts), which reads them in SQL.
 */
export const CHANGES_FUNCTION = 'timhook_changes';

/** Defines {@link CHANGES_FUNCTION} on `db`. */
export function defineChangesFunction(db: Database.Database): void {
  db.function(CHANGES_FUNCTION, { deterministic: true }, (command: unknown, raw: unknown) =>
    typeof command === 'string' && typeof raw === 'string' ? changesOfRawBody(command, raw) : '{}',
  );
}

/** The columns an event is read from (see `toRecordedRow`): its head holds all but its body. */
export const EVENT_COLUMNS = `seq, ${HEAD_SQL}, raw, command, ${SHORT_SQL}`;

/** The columns a rendered event is joined from (see `toRenderedEvent`). */
export const RENDERED_COLUMNS = `seq, received_at, command, kind, group_id, topic_id, ${HEAD_SQL}, raw, raw_inline, ${SHORT_SQL}`;

/**
 * `head` (of {@link HEAD_SQL}) with the changes `rawBody` holds put in before its `diff`, where
 * the recorder writes them. The first `,"diff":` is the key's: a quote inside a JSON string is escaped.
 */
function withChangesOfBody(head: string, command: string, rawBody: string): string {
  const at = head.indexOf(',"diff":');
  return `${head.slice(0, at)},"changes":${changesOfRawBody(command, rawBody)}${head.slice(at)}`;
}

/** An EVENT_COLUMNS row, read as an array (much cheaper for the driver than an object). */
export function toRecordedRow(v: unknown[]): RecordedEvent {
  const raw = v[2] as string;
  const head = v[4] === 1 ? withChangesOfBody(v[1] as string, v[3] as string, raw) : (v[1] as string);
  return recordedFromHead(head, raw);
}

/** A RENDERED_COLUMNS row read as an array, as the API sends it: joined, never parsed. */
export function toRenderedEvent(v: unknown[]): RenderedEvent {
  const raw = v[7] as string;
  const head = v[9] === 1 ? withChangesOfBody(v[6] as string, v[2] as string, raw) : (v[6] as string);
  return {
    seq: v[0] as number,
    receivedAt: v[1] as number,
    command: v[2] as string,
    kind: v[3] as RenderedEvent['kind'],
    groupId: v[4] as string | null,
    topicId: v[5] as string | null,
    json: joinHeadAndBody(head, raw, v[8] === 1),
    raw,
  };
}
