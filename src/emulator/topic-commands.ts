import {
  BASE_FIELDS,
  type BaseField,
  checkCustomTopicPart,
  makeTopicId,
  TOPIC_LIMITS,
  TOPIC_MARKER,
} from '../protocol/index.js';
import { createTopicCallback, topicDestroyedCallback, topicInfoChangedCallback } from './callback-bodies.js';
import type { CommandContext } from './command-context.js';
import { ErrorCodes, failWith } from './errors.js';
import {
  CreateTopicBody,
  DestroyTopicBody,
  GetTopicBody,
  ModifyTopicBody,
  parseRequest,
} from './request-schemas.js';
import { checkByteLimits, checkName, checkProfilePermission, findTopic, findTopicGroup } from './rules.js';
import type { BaseProfile, GroupRecord, TopicRecord } from './state.js';

/** `million_group_open_http_svc/create_topic`: answers `TopicId`. */
export function createTopic(ctx: CommandContext, input: unknown): Record<string, unknown> {
  const req = parseRequest(CreateTopicBody, input);
  const group = findTopicGroup(ctx.state, req.GroupId);
  checkName('TopicName', req.TopicName);
  checkByteLimits(req, TOPIC_LIMITS);
  const id = req.TopicId ? claimCustomTopicId(group, req.TopicId) : newTopicId(group);
  const topic: TopicRecord = {
    id,
    profile: {
      Name: req.TopicName,
      Introduction: req.Introduction ?? '',
      Notification: req.Notification ?? '',
      FaceUrl: req.FaceUrl ?? '',
    },
    customString: req.CustomString ?? '',
    owner: req.From_Account || null,
    muteAllMember: 'Off',
    createTime: Math.floor(ctx.now() / 1000),
  };
  group.topics.set(id, topic);
  ctx.emit(createTopicCallback(group, topic, ctx.operator));
  return { TopicId: id };
}

// A custom topic id is the community id, `@TOPIC#_`, then a printable part (docs/protocol.md §3).
function claimCustomTopicId(group: GroupRecord, topicId: string): string {
  const prefix = `${group.id}${TOPIC_MARKER}`;
  if (!topicId.startsWith(prefix) || topicId.length === prefix.length) {
    failWith(ErrorCodes.InvalidParameter, `TopicId must be ${prefix}<part>`);
  }
  const problem = checkCustomTopicPart(group.id, topicId.slice(prefix.length));
  if (problem) failWith(ErrorCodes.InvalidParameter, `TopicId: ${problem}`);
  if (group.topics.has(topicId)) failWith(ErrorCodes.GroupIdInUse, `topic id ${topicId} is already in use`);
  return topicId;
}

function newTopicId(group: GroupRecord): string {
  for (;;) {
    const id = makeTopicId(group.id);
    if (!group.topics.has(id)) return id;
  }
}

/**
 * `million_group_open_http_svc/get_topic`: answers `TopicAndSelfInfo[]`, all topics when no list is
 * given, each with its own `ErrorCode` (10010 for an unknown topic).
 */
export function getTopic(ctx: CommandContext, input: unknown): Record<string, unknown> {
  const req = parseRequest(GetTopicBody, input);
  const group = findTopicGroup(ctx.state, req.GroupId);
  const ids = req.TopicIdList ?? [...group.topics.keys()];
  return {
    TopicAndSelfInfo: ids.map((topicId) => {
      const topic = group.topics.get(topicId);
      if (!topic) {
        return {
          ErrorCode: ErrorCodes.GroupNotFound,
          ErrorInfo: 'topic not found',
          TopicInfo: { TopicId: topicId },
        };
      }
      return {
        ErrorCode: 0,
        ErrorInfo: '',
        TopicInfo: pickTopicFields(describeTopic(topic), req.ResponseFilter),
      };
    }),
  };
}

// `TopicId` is always answered; with a filter, only the other fields it names.
function pickTopicFields(
  info: Record<string, unknown>,
  names: readonly string[] | undefined,
): Record<string, unknown> {
  if (!names) return info;
  return Object.fromEntries(
    Object.entries(info).filter(([name]) => name === 'TopicId' || names.includes(name)),
  );
}

function describeTopic(topic: TopicRecord): Record<string, unknown> {
  return {
    TopicId: topic.id,
    TopicName: topic.profile.Name,
    Introduction: topic.profile.Introduction,
    Notification: topic.profile.Notification,
    FaceUrl: topic.profile.FaceUrl,
    CustomString: topic.customString,
    Owner_Account: topic.owner ?? '',
    CreateTime: topic.createTime,
    MuteAllMember: topic.muteAllMember,
  };
}

/**
 * `million_group_open_http_svc/modify_topic`. Only the name, introduction, notice and photo URL fire
 * the callback (seed 000); `CustomString` and `MuteAllMember` change silently.
 */
export function modifyTopic(ctx: CommandContext, input: unknown): Record<string, unknown> {
  const req = parseRequest(ModifyTopicBody, input);
  const group = findTopicGroup(ctx.state, req.GroupId);
  const topic = findTopic(group, req.TopicId);
  if (ctx.via === 'client') checkProfilePermission(group, ctx.operator, ctx.config.admins);
  checkName('TopicName', req.TopicName);
  checkByteLimits(req, TOPIC_LIMITS);
  const requested: Record<BaseField, string | undefined> = {
    Name: req.TopicName,
    Introduction: req.Introduction,
    Notification: req.Notification,
    FaceUrl: req.FaceUrl,
  };
  const changed: Partial<BaseProfile> = {};
  // UNSETTLED (docs/protocol.md §3): a field set to its current value is left out unless `send`.
  const sendAll = ctx.config.unchangedFields === 'send';
  for (const field of BASE_FIELDS) {
    const value = requested[field];
    if (value !== undefined && (sendAll || value !== topic.profile[field])) changed[field] = value;
  }
  Object.assign(topic.profile, changed);
  if (req.CustomString !== undefined) topic.customString = req.CustomString;
  if (req.MuteAllMember !== undefined) topic.muteAllMember = req.MuteAllMember;
  if (Object.keys(changed).length > 0) {
    ctx.emit(topicInfoChangedCallback(group, topic, ctx.operator, changed, ctx.now(), ctx.config.topicBody));
  }
  return {};
}

/** `million_group_open_http_svc/destroy_topic`: answers `DestroyResultItem[]`, one per id. */
export function destroyTopic(ctx: CommandContext, input: unknown): Record<string, unknown> {
  const req = parseRequest(DestroyTopicBody, input);
  const group = findTopicGroup(ctx.state, req.GroupId);
  const destroyed: string[] = [];
  const results = req.TopicIdList.map((topicId) => {
    if (!group.topics.delete(topicId)) {
      return { ErrorCode: ErrorCodes.GroupNotFound, ErrorInfo: 'topic not found', TopicId: topicId };
    }
    destroyed.push(topicId);
    return { ErrorCode: 0, ErrorInfo: '', TopicId: topicId };
  });
  if (destroyed.length > 0) ctx.emit(topicDestroyedCallback(group, destroyed));
  return { DestroyResultItem: results };
}
