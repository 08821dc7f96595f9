import type { EventRow } from '../rows.js';

/** The columns of a `profiles` row, in ProfileRow's order. */
export const PROFILE_COLUMNS =
  'kind, id, group_id, group_type, fields, created_at, destroyed_at, first_seq, last_seq, last_changed_at, last_operator, change_count';

/** The columns of an `events` row, in EventRow's order. */
export const EVENT_COLUMNS =
  'seq, received_at, event_time, command, kind, sdk_app_id, group_id, topic_id, group_type, operator, opt_platform, client_ip, changes, diff, superseded, raw';

/** The columns a rendered event is read from (see `toRendered`). */
export const RENDERED_COLUMNS = 'seq, received_at, command, kind, group_id, topic_id, head, raw';

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
