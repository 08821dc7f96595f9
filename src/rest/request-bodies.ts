import {
  GROUP_BASE_INFO_FIELDS,
  type GroupIdPageRequest,
  type GroupInfoRequest,
  RestLimits,
  type TopicRequest,
} from './types.js';

/** The body of `get_appid_group_list`, written by hand: `Next` is a 64-bit number sent exactly. */
export function groupListBody(request: GroupIdPageRequest): string {
  const limit = request.limit ?? RestLimits.maxGroupListPage;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > RestLimits.maxGroupListPage) {
    throw new TypeError(`[timhook] \`limit\` must be 1 to ${RestLimits.maxGroupListPage}`);
  }
  let body = `{"Limit":${limit},"Next":${cursorOf(request.next)}`;
  if (request.groupType !== undefined) body += `,"GroupType":${JSON.stringify(request.groupType)}`;
  return `${body}}`;
}

/** A page cursor as decimal digits, checked to be an unsigned 64-bit number. */
export function cursorOf(next: GroupIdPageRequest['next']): string {
  const digits = String(next ?? '0');
  if (!/^\d+$/.test(digits) || BigInt(digits) >= 2n ** 64n) {
    throw new TypeError('[timhook] `next` must be a cursor from a previous page (an unsigned 64-bit number)');
  }
  return BigInt(digits).toString();
}

/** The body of `get_group_info`: a `ResponseFilter` only when custom-field keys are named. */
export function groupInfoBody(groupIds: readonly string[], request: GroupInfoRequest): string {
  if (groupIds.length === 0 || groupIds.length > RestLimits.maxGroupInfoIds) {
    throw new TypeError(`[timhook] getGroupInfo takes 1 to ${RestLimits.maxGroupInfoIds} group ids`);
  }
  const body: Record<string, unknown> = { GroupIdList: [...groupIds] };
  if (request.customFieldKeys !== undefined) {
    body.ResponseFilter = {
      GroupBaseInfoFilter: [...(request.baseInfoFields ?? GROUP_BASE_INFO_FIELDS)],
      AppDefinedDataFilter_Group: [...request.customFieldKeys],
    };
  }
  return JSON.stringify(body);
}

/** The body of `get_topic`: `TopicIdList` and `From_Account` only when given. */
export function topicBody(groupId: string, request: TopicRequest): string {
  const body: Record<string, unknown> = { GroupId: groupId };
  if (request.fromAccount !== undefined) body.From_Account = request.fromAccount;
  if (request.topicIds !== undefined) body.TopicIdList = [...request.topicIds];
  return JSON.stringify(body);
}
