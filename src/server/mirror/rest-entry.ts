import { BASE_FIELDS, CUSTOM_PREFIX, type ProfileChange } from '../../protocol/index.js';
import { type LogEntry, nodeDedupeKey, type ProfileView } from '../../store/index.js';

/** The commands of the REST API's answers as log entries (docs/recorder.md "Complete profiles"). */
export const REST_COMMANDS = {
  /** A profile read the first time the recorder saw its group or topic. */
  snapshot: 'timhook.Snapshot',
  /** A reconciliation pass found fields that differed from the API and set them. */
  reconciled: 'timhook.Reconciled',
  /** A reconciliation pass found that the group or topic no longer exists. */
  vanished: 'timhook.Vanished',
} as const;

export type RestCommand = (typeof REST_COMMANDS)[keyof typeof REST_COMMANDS];

/** True for a log entry written from the REST API's answers rather than from a callback. */
export function isRestCommand(command: string): boolean {
  return command.startsWith('timhook.');
}

/** What one REST answer says about one group or topic, and when it was asked. */
export interface RestFact {
  command: RestCommand;
  kind: 'group' | 'topic';
  sdkAppId: string;
  groupId: string;
  topicId: string | null;
  groupType: string | null;
  /** The fields to record (none for `Vanished`). */
  changes: ProfileChange;
  /** When the request was sent, ms: the entry's `eventTime`, the moment the values are true of. */
  requestedAt: number;
  receivedAt: number;
  /** The REST API's command, e.g. `group_open_http_svc/get_group_info`. */
  api: string;
  /** The answer's entry for this group or topic. */
  answer: unknown;
}

/**
 * The log entry of a REST fact: operator null, `eventTime` the request time, the raw body a JSON
 * object with `source: "rest"`, the API asked, the request time and the answer.
 */
export function toRestEntry(fact: RestFact): LogEntry {
  const rawBody = JSON.stringify({
    source: 'rest',
    api: fact.api,
    requestedAt: fact.requestedAt,
    GroupId: fact.groupId,
    ...(fact.topicId !== null ? { TopicId: fact.topicId } : {}),
    answer: fact.answer ?? null,
  });
  return {
    command: fact.command,
    kind: fact.kind,
    effect: fact.command === REST_COMMANDS.vanished ? 'destroy' : 'change',
    sdkAppId: fact.sdkAppId,
    groupId: fact.groupId,
    topicId: fact.topicId,
    topicIds: fact.topicId !== null ? [fact.topicId] : [],
    groupType: fact.groupType,
    operator: null,
    optPlatform: null,
    clientIp: null,
    eventTime: fact.requestedAt,
    receivedAt: fact.receivedAt,
    changes: fact.changes,
    rawBody,
    dedupeKey: nodeDedupeKey(fact.sdkAppId, fact.command, `${rawBody}\n${fact.receivedAt}`),
  };
}

/**
 * The fields of `truth` that the mirror's `view` does not hold with the same value. A custom field
 * the mirror holds and the API no longer reports counts as set to "" (an empty value and an absent
 * field read the same). A field a callback set after `requestedAt` (by `EventTime`, or by arrival
 * when it had none) is newer than the answer and is left alone.
 */
export function differingFields(
  view: ProfileView | null,
  truth: ProfileChange,
  requestedAt: number,
  compareCustom: boolean,
): ProfileChange {
  const out: ProfileChange = {};
  const fields = view?.fields ?? {};
  const newer = (field: string) => {
    const state = fields[field];
    if (!state) return false;
    return (state.eventTime ?? state.changedAt) > requestedAt || state.changedAt > requestedAt;
  };
  for (const field of BASE_FIELDS) {
    const value = truth[field];
    if (value === undefined || newer(field)) continue;
    if (fields[field]?.value !== value) out[field] = value;
  }
  if (!compareCustom) return out;
  const custom: Record<string, string> = {};
  const reported = truth.customFields ?? {};
  for (const [key, value] of Object.entries(reported)) {
    const field = `${CUSTOM_PREFIX}${key}`;
    if (newer(field)) continue;
    const current = fields[field]?.value;
    if (current !== value && !(current === undefined && value === '')) custom[key] = value;
  }
  for (const [field, state] of Object.entries(fields)) {
    if (!field.startsWith(CUSTOM_PREFIX)) continue;
    const key = field.slice(CUSTOM_PREFIX.length);
    if (key in reported || state.value === '' || newer(field)) continue;
    custom[key] = '';
  }
  if (Object.keys(custom).length > 0) out.customFields = custom;
  return out;
}

/** True when `change` holds no field. */
export function isEmptyProfileChange(change: ProfileChange): boolean {
  return (
    BASE_FIELDS.every((field) => change[field] === undefined) &&
    Object.keys(change.customFields ?? {}).length === 0
  );
}
