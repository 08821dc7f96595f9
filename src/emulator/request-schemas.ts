import { z } from 'zod';
import { ErrorCodes, failWith } from './errors.js';

// The request bodies of the REST commands (docs/protocol.md §4). Unknown fields are ignored, as the
// real API does; a known field of the wrong type is refused with 10004.

const text = z.string();
const customFields = z.array(z.looseObject({ Key: z.string(), Value: z.string() }));
const onOff = z.enum(['On', 'Off']);
const supportTopic = z.union([z.boolean(), z.literal(0), z.literal(1)]);
const groupId = z.string().min(1, 'must not be empty');
const fromAccount = z.string().optional();

/** `group_open_http_svc/create_group`. */
export const CreateGroupBody = z.looseObject({
  Type: z.string().min(1, 'must not be empty'),
  Name: z.string(),
  GroupId: text.optional(),
  Owner_Account: text.optional(),
  Introduction: text.optional(),
  Notification: text.optional(),
  FaceUrl: text.optional(),
  MaxMemberNum: z.number().int().positive().optional(),
  ApplyJoinOption: z.enum(['FreeAccess', 'NeedPermission', 'DisableApply']).optional(),
  MuteAllMember: onOff.optional(),
  AppDefinedData: customFields.optional(),
  MemberList: z
    .array(z.looseObject({ Member_Account: z.string().min(1), Role: z.enum(['Admin', 'Member']).optional() }))
    .max(500)
    .optional(),
  SupportTopic: supportTopic.optional(),
});

const names = z.array(z.string());

/**
 * `group_open_http_svc/get_group_info`: 1 to 50 ids, and which parts of each group to answer
 * (Tencent doc 34961).
 */
export const GetGroupInfoBody = z.looseObject({
  GroupIdList: z.array(z.string()).min(1, 'lists at least one group').max(50, 'lists at most 50 groups'),
  ResponseFilter: z
    .looseObject({
      GroupBaseInfoFilter: names.optional(),
      MemberInfoFilter: names.optional(),
      AppDefinedDataFilter_Group: names.optional(),
      AppDefinedDataFilter_GroupMember: names.optional(),
    })
    .optional(),
});

/** `group_open_http_svc/get_appid_group_list`: a page of at most 10,000 ids (Tencent doc 34960). */
export const GetAppidGroupListBody = z.looseObject({
  Limit: z.number().int().min(1, 'must be at least 1').max(10_000, 'must not exceed 10000').optional(),
  Next: z.number().int().min(0, 'must not be negative').optional(),
  GroupType: z.string().min(1, 'must not be empty').optional(),
});

/** `group_open_http_svc/modify_group_base_info`; `From_Account` names the operator. */
export const ModifyGroupBody = z.looseObject({
  GroupId: groupId,
  Name: text.optional(),
  Introduction: text.optional(),
  Notification: text.optional(),
  FaceUrl: text.optional(),
  MaxMemberNum: z.number().int().positive().optional(),
  ApplyJoinOption: z.enum(['FreeAccess', 'NeedPermission', 'DisableApply']).optional(),
  MuteAllMember: onOff.optional(),
  AppDefinedData: customFields.optional(),
  From_Account: fromAccount,
});

/** `group_open_http_svc/destroy_group`. */
export const DestroyGroupBody = z.looseObject({ GroupId: groupId });

/** `million_group_open_http_svc/create_topic`; `TopicId` is optional (custom id). */
export const CreateTopicBody = z.looseObject({
  GroupId: groupId,
  TopicId: text.optional(),
  TopicName: z.string(),
  From_Account: fromAccount,
  Introduction: text.optional(),
  Notification: text.optional(),
  FaceUrl: text.optional(),
  CustomString: text.optional(),
});

/**
 * `million_group_open_http_svc/get_topic`; every topic when `TopicIdList` is absent, only the
 * `TopicInfo` fields named in `ResponseFilter` when it is given.
 */
export const GetTopicBody = z.looseObject({
  GroupId: groupId,
  TopicIdList: z.array(z.string()).optional(),
  From_Account: fromAccount,
  ResponseFilter: names.optional(),
});

/** `million_group_open_http_svc/modify_topic`. */
export const ModifyTopicBody = z.looseObject({
  GroupId: groupId,
  TopicId: z.string().min(1, 'must not be empty'),
  TopicName: text.optional(),
  Introduction: text.optional(),
  Notification: text.optional(),
  FaceUrl: text.optional(),
  CustomString: text.optional(),
  MuteAllMember: onOff.optional(),
  From_Account: fromAccount,
});

/** `million_group_open_http_svc/destroy_topic`. */
export const DestroyTopicBody = z.looseObject({
  GroupId: groupId,
  TopicIdList: z.array(z.string().min(1)).min(1, 'lists at least one topic'),
});

/** The fields a simulated client adds to its call (the client face). */
export const ClientFields = z.looseObject({
  Operator_Account: z.string().min(1, 'is required: the user who makes the change'),
  OptPlatform: z.string().min(1).optional(),
  ClientIP: z.string().min(1).optional(),
});

/** `body` parsed by `schema`, or a 10004 naming the first bad field. */
export function parseRequest<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.length > 0 ? issue.path.join('.') : '(body)';
  const message = issue.message.endsWith('received undefined') ? 'is required' : issue.message;
  return failWith(ErrorCodes.InvalidParameter, `${path}: ${message}`);
}
