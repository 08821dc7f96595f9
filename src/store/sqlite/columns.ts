import { joinHeadAndBody, recordedFromHead } from '../rows.js';
import type { RecordedEvent, RenderedEvent } from '../change-log.js';

/** The columns of a `profiles` row, in ProfileRow's order. */
export const PROFILE_COLUMNS =
  'kind, id, group_id, group_type, fields, created_at, destroyed_at, first_seq, last_seq, last_changed_at, last_operator, change_count';

/** The columns an event is read from (see `toEventRow`): its head holds all but its body. */
export const EVENT_COLUMNS = 'seq, head, raw';

/** The columns a rendered event is joined from (see `toRenderedEvent`). */
export const RENDERED_COLUMNS = 'seq, received_at, command, kind, group_id, topic_id, head, raw, raw_inline';

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
