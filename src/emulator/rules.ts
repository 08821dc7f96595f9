import {
  CUSTOM_FIELD_LIMITS,
  findLimitViolations,
  isValidCustomFieldKey,
  MAX_GROUP_ID_BYTES,
  utf8ByteLength,
} from '../protocol/index.js';
import type { EmulatorConfig } from './config.js';
import { ErrorCodes, failWith } from './errors.js';
import type { EmulatorState, GroupRecord, MemberRole, TopicRecord } from './state.js';

/** The five kinds of group, whatever name (old or new) they were created under (docs/protocol.md §3). */
export type GroupKind = 'Work' | 'Public' | 'Meeting' | 'AVChatRoom' | 'Community';

const KINDS: Readonly<Record<string, GroupKind>> = {
  Private: 'Work',
  Work: 'Work',
  Public: 'Public',
  ChatRoom: 'Meeting',
  Meeting: 'Meeting',
  AVChatRoom: 'AVChatRoom',
  Community: 'Community',
};

/** The group types create_group accepts. */
export const GROUP_TYPES = Object.keys(KINDS);

/** The kind of a group type, `undefined` for an unknown type. */
export function groupKindOf(type: string): GroupKind | undefined {
  return Object.hasOwn(KINDS, type) ? KINDS[type] : undefined;
}

// Who may change a group's profile from a client (Group System doc 33529): Work, any
// member; Public and Community, the owner or an admin; Meeting and AVChatRoom, the owner only.
// The app admin always may.
const PROFILE_EDITORS: Readonly<Record<GroupKind, ReadonlySet<MemberRole>>> = {
  Work: new Set(['Owner', 'Admin', 'Member']),
  Public: new Set(['Owner', 'Admin']),
  Community: new Set(['Owner', 'Admin']),
  Meeting: new Set(['Owner']),
  AVChatRoom: new Set(['Owner']),
};

/**
 * Refuses (10007) a client operator who may not change `group`'s profile or, for a Community, its
 * topics' profiles. App admins always may.
 */
export function checkProfilePermission(
  group: GroupRecord,
  operator: string,
  admins: readonly string[],
): void {
  if (admins.includes(operator)) return;
  const role = group.members.get(operator);
  if (role === undefined) failWith(ErrorCodes.NoPermission, `${operator} is not a member of the group`);
  const kind = groupKindOf(group.type) ?? 'Public';
  if (!PROFILE_EDITORS[kind].has(role)) {
    const allowed = [...PROFILE_EDITORS[kind]].join(' or ').toLowerCase();
    failWith(
      ErrorCodes.NoPermission,
      `in a ${group.type} group only the ${allowed} may change the profile; ${operator} is ${role.toLowerCase()}`,
    );
  }
}

/** Refuses (10004) any field of `values` over its byte limit in `limits`, naming it. */
export function checkByteLimits(
  values: Readonly<Record<string, unknown>>,
  limits: Readonly<Record<string, number>>,
): void {
  const [first] = findLimitViolations(values, limits);
  if (first) {
    failWith(
      ErrorCodes.InvalidParameter,
      `${first.field} is ${first.bytes} bytes; the limit is ${first.limit} (UTF-8 bytes)`,
    );
  }
}

/** Refuses (10004) an empty name: a group or topic always has one. */
export function checkName(field: string, value: string | undefined): void {
  if (value === '') failWith(ErrorCodes.InvalidParameter, `${field} must not be empty`);
}

/**
 * Validates `AppDefinedData` entries (docs/protocol.md §3): a key of letters, digits and `_` up to 16
 * bytes, declared in the console; a value up to 512 bytes; at most 10 in one request. Later
 * entries for the same key win.
 */
export function readCustomFieldUpdates(
  entries: ReadonlyArray<{ Key: string; Value: string }>,
  config: EmulatorConfig,
): Map<string, string> {
  const updates = new Map<string, string>();
  for (const { Key, Value } of entries) {
    if (!isValidCustomFieldKey(Key)) {
      failWith(
        ErrorCodes.InvalidParameter,
        `custom field key ${JSON.stringify(Key)} must be 1–${CUSTOM_FIELD_LIMITS.keyBytes} letters, digits or _`,
      );
    }
    if (!config.customFieldKeys.includes(Key)) {
      failWith(ErrorCodes.InvalidParameter, `custom field ${Key} is not declared in the console`);
    }
    const bytes = utf8ByteLength(Value);
    if (bytes > CUSTOM_FIELD_LIMITS.valueBytes) {
      failWith(
        ErrorCodes.InvalidParameter,
        `custom field ${Key} is ${bytes} bytes; the limit is ${CUSTOM_FIELD_LIMITS.valueBytes}`,
      );
    }
    updates.set(Key, Value);
  }
  checkCustomFieldCount(updates.size);
  return updates;
}

/** Refuses (10004) a group that would hold more than 10 custom fields. */
export function checkCustomFieldCount(count: number): void {
  if (count > CUSTOM_FIELD_LIMITS.maxFields) {
    failWith(
      ErrorCodes.InvalidParameter,
      `a group holds at most ${CUSTOM_FIELD_LIMITS.maxFields} custom fields; this would make ${count}`,
    );
  }
}

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * The group named `groupId`: 10015 when the id cannot be a group id (not printable ASCII, too long,
 * or a topic id), 10010 when no such group exists.
 */
export function findGroup(state: EmulatorState, groupId: string): GroupRecord {
  const group = state.groups.get(groupId);
  if (group) return group;
  if (
    !PRINTABLE_ASCII.test(groupId) ||
    groupId.length >= MAX_GROUP_ID_BYTES ||
    groupId.includes('@TOPIC#_')
  ) {
    failWith(ErrorCodes.InvalidGroupId, `${JSON.stringify(groupId)} is not a valid group id`);
  }
  return failWith(ErrorCodes.GroupNotFound, `group ${groupId} does not exist or was dissolved`);
}

/** The Community `groupId`, refusing (10004) a group that has no topics (not created with `SupportTopic`). */
export function findTopicGroup(state: EmulatorState, groupId: string): GroupRecord {
  const group = findGroup(state, groupId);
  if (!group.supportTopic) {
    failWith(
      ErrorCodes.InvalidParameter,
      `group ${groupId} does not support topics: only a Community created with SupportTopic has them`,
    );
  }
  return group;
}

/** The topic `topicId` of `group`, or 10010. */
export function findTopic(group: GroupRecord, topicId: string): TopicRecord {
  return (
    group.topics.get(topicId) ??
    failWith(ErrorCodes.GroupNotFound, `topic ${topicId} does not exist in group ${group.id}`)
  );
}
