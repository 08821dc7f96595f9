import { readChangesOfRawBody } from '../body-changes.js';
import type { LogEntry } from '../change-log.js';
import { HEAD_WITHOUT_CHANGES } from '../rows.js';

/**
 * The columns a logged entry is read back from (see {@link entryFromRow}). Its `changes` are read
 * from `head`, or from `raw` when the head leaves them out (sqlite/columns.ts HEAD_SQL).
 */
export const LOGGED_COLUMNS =
  'seq, command, kind, effect, sdk_app_id, group_id, topic_id, topic_ids, group_type, operator, opt_platform, client_ip, event_time, received_at, head, raw, dedupe_key';

/** A row of {@link LOGGED_COLUMNS}. */
export interface LoggedRow {
  seq: number;
  command: string;
  kind: LogEntry['kind'];
  effect: string | null;
  sdk_app_id: string;
  group_id: string | null;
  topic_id: string | null;
  topic_ids: string | null;
  group_type: string | null;
  operator: string | null;
  opt_platform: string | null;
  client_ip: string | null;
  event_time: number | null;
  received_at: number;
  head: string;
  raw: string;
  dedupe_key: string;
}

/** How an entry's `effect` is stored: null for a change, the common case. */
export function effectColumn(entry: LogEntry): string | null {
  return entry.effect === 'change' ? null : entry.effect;
}

/** How an entry's `topicIds` are stored: null when it closes none. */
export function topicIdsColumn(entry: LogEntry): string | null {
  return entry.topicIds.length === 0 ? null : JSON.stringify(entry.topicIds);
}

/**
 * The entry a row logged, as the projection reads it: its changes come from its head, or from its
 * body when the head leaves them out (store/body-changes.ts).
 */
export function entryFromRow(row: LoggedRow): LogEntry {
  return {
    command: row.command,
    kind: row.kind,
    effect: (row.effect ?? 'change') as LogEntry['effect'],
    sdkAppId: row.sdk_app_id,
    groupId: row.group_id,
    topicId: row.topic_id,
    topicIds: row.topic_ids === null ? [] : (JSON.parse(row.topic_ids) as string[]),
    groupType: row.group_type,
    operator: row.operator,
    optPlatform: row.opt_platform,
    clientIp: row.client_ip,
    eventTime: row.event_time,
    receivedAt: row.received_at,
    changes: row.head.startsWith(HEAD_WITHOUT_CHANGES)
      ? readChangesOfRawBody(row.command, row.raw)
      : (JSON.parse(row.head) as Pick<LogEntry, 'changes'>).changes,
    rawBody: row.raw,
    dedupeKey: row.dedupe_key,
  };
}
