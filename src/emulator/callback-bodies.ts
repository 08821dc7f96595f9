import { BASE_FIELDS, type Command, Commands } from '../protocol/index.js';
import type { TopicBodyShape } from './config.js';
import type { BaseProfile, GroupRecord, TopicRecord } from './state.js';

/** A callback a change produced, before it is queued. */
export interface PendingCallback {
  command: Command;
  /** The group (for a topic, its community): callbacks of one group leave in order. */
  groupId: string;
  body: Record<string, unknown>;
}

/** The base fields of a change that go into a callback, and the custom fields as `[Key, Value]`. */
export interface ProfileChanges {
  fields: Partial<BaseProfile>;
  custom: Array<[string, string]>;
}

/** True when `changes` holds nothing to send. */
export function isEmptyChange(changes: ProfileChanges): boolean {
  return Object.keys(changes.fields).length === 0 && changes.custom.length === 0;
}

/** Seed 003: only the fields that changed, custom fields as `UserDefinedDataList`, and `EventTime`. */
export function groupInfoChangedCallback(
  group: GroupRecord,
  operator: string,
  changes: ProfileChanges,
  eventTime: number,
): PendingCallback {
  const body: Record<string, unknown> = {
    CallbackCommand: Commands.GroupInfoChanged,
    GroupId: group.id,
    Type: group.type,
    Operator_Account: operator,
    ...orderedFields(changes.fields),
  };
  if (changes.custom.length > 0) body.UserDefinedDataList = toCustomList(changes.custom);
  body.EventTime = eventTime;
  return { command: Commands.GroupInfoChanged, groupId: group.id, body };
}

/**
 * Seed 000: `GroupId`, `Type`, `Operator_Account` and the changed fields. The `extended` shape adds
 * `TopicId` and `EventTime` (docs/protocol.md §2, UNSETTLED); `topic-as-group-id` puts the topic id in
 * `GroupId`, the reading some receivers expect.
 */
export function topicInfoChangedCallback(
  group: GroupRecord,
  topic: TopicRecord,
  operator: string,
  fields: Partial<BaseProfile>,
  eventTime: number,
  shape: TopicBodyShape,
): PendingCallback {
  const body: Record<string, unknown> = {
    CallbackCommand: Commands.TopicInfoChanged,
    GroupId: shape === 'topic-as-group-id' ? topic.id : group.id,
  };
  if (shape === 'extended') body.TopicId = topic.id;
  Object.assign(body, { Type: group.type, Operator_Account: operator, ...orderedFields(fields) });
  if (shape === 'extended') body.EventTime = eventTime;
  return { command: Commands.TopicInfoChanged, groupId: group.id, body };
}

/** `Group.CallbackAfterCreateGroup` with the fields docs/protocol.md §2 lists. */
export function createGroupCallback(
  group: GroupRecord,
  operator: string,
  eventTime: number,
): PendingCallback {
  const body: Record<string, unknown> = {
    CallbackCommand: Commands.CreateGroup,
    GroupId: group.id,
    Type: group.type,
    Owner_Account: group.owner ?? '',
    Operator_Account: operator,
    Name: group.profile.Name,
    Introduction: group.profile.Introduction,
    Notification: group.profile.Notification,
    MemberList: memberList(group),
  };
  if (group.customFields.size > 0) body.UserDefinedDataList = toCustomList([...group.customFields]);
  body.EventTime = eventTime;
  return { command: Commands.CreateGroup, groupId: group.id, body };
}

/** `Group.CallbackAfterGroupDestroyed` with the fields docs/protocol.md §2 lists. */
export function groupDestroyedCallback(group: GroupRecord, eventTime: number): PendingCallback {
  return {
    command: Commands.GroupDestroyed,
    groupId: group.id,
    body: {
      CallbackCommand: Commands.GroupDestroyed,
      GroupId: group.id,
      Type: group.type,
      Owner_Account: group.owner ?? '',
      MemberList: memberList(group),
      EventTime: eventTime,
    },
  };
}

/** `Group.CallbackAfterCreateTopic` with the fields docs/protocol.md §2 lists (no `EventTime` there). */
export function createTopicCallback(
  group: GroupRecord,
  topic: TopicRecord,
  operator: string,
): PendingCallback {
  return {
    command: Commands.CreateTopic,
    groupId: group.id,
    body: {
      CallbackCommand: Commands.CreateTopic,
      GroupId: group.id,
      TopicId: topic.id,
      Type: group.type,
      Operator_Account: operator,
      Owner_Account: topic.owner ?? '',
      Name: topic.profile.Name,
    },
  };
}

/** `Group.CallbackAfterTopicDestroyed`: one callback for every topic one call destroyed. */
export function topicDestroyedCallback(group: GroupRecord, topicIds: string[]): PendingCallback {
  return {
    command: Commands.TopicDestroyed,
    groupId: group.id,
    body: {
      CallbackCommand: Commands.TopicDestroyed,
      GroupId: group.id,
      Type: group.type,
      TopicIdList: topicIds,
    },
  };
}

/** The changed base fields in the seed's order: Name, Introduction, Notification, FaceUrl. */
function orderedFields(fields: Partial<BaseProfile>): Partial<BaseProfile> {
  const out: Partial<BaseProfile> = {};
  for (const field of BASE_FIELDS) {
    const value = fields[field];
    if (value !== undefined) out[field] = value;
  }
  return out;
}

function toCustomList(entries: Array<[string, string]>): Array<{ Key: string; Value: string }> {
  return entries.map(([Key, Value]) => ({ Key, Value }));
}

function memberList(group: GroupRecord): Array<{ Member_Account: string }> {
  return [...group.members.keys()].map((Member_Account) => ({ Member_Account }));
}
