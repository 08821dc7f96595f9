import type { CommandContext } from './command-context.js';
import { ErrorCodes, failWith } from './errors.js';
import { GetAppidGroupListBody, GetGroupInfoBody, parseRequest } from './request-schemas.js';
import { GROUP_TYPES, groupKindOf } from './rules.js';
import type { GroupRecord } from './state.js';

/**
 * `group_open_http_svc/get_appid_group_list` (Tencent doc 34960): a page of group ids in creation
 * order, `Limit` at most (10,000 when absent), after the `Next` cursor (0 for the first page); the
 * answer's `Next` is 0 once nothing is left. `GroupType` keeps one kind (old and new names alike:
 * `Private` lists Work groups too). `TotalCount` counts every group of that kind, whatever the page.
 */
export function getAppidGroupList(ctx: CommandContext, input: unknown): Record<string, unknown> {
  const req = parseRequest(GetAppidGroupListBody, input);
  const limit = req.Limit ?? 10_000;
  const after = req.Next ?? 0;
  const kind =
    req.GroupType === undefined
      ? undefined
      : (groupKindOf(req.GroupType) ??
        failWith(ErrorCodes.InvalidParameter, `GroupType must be one of ${GROUP_TYPES.join(', ')}`));
  const page: GroupRecord[] = [];
  let total = 0;
  let more = false;
  for (const group of ctx.state.groups.values()) {
    if (kind !== undefined && groupKindOf(group.type) !== kind) continue;
    total++;
    if (group.seq <= after) continue;
    if (page.length < limit) page.push(group);
    else more = true;
  }
  // The cursor is the last listed group's place in creation order, so groups created or
  // destroyed between two pages neither repeat nor hide the others.
  const next = more ? page.at(-1)!.seq : 0;
  return { TotalCount: total, GroupIdList: page.map((group) => ({ GroupId: group.id })), Next: next };
}

/**
 * `group_open_http_svc/get_group_info` (Tencent doc 34961): one entry per id, each with its own
 * `ErrorCode` (10010 for a group that does not exist). Without `ResponseFilter` every part is
 * answered; with one, the base fields named in `GroupBaseInfoFilter` (all when it is absent), the
 * members only with `MemberInfoFilter`, and only the custom fields named in
 * `AppDefinedDataFilter_Group` (none when it is absent, as the API does by default).
 */
export function getGroupInfo(ctx: CommandContext, input: unknown): Record<string, unknown> {
  const req = parseRequest(GetGroupInfoBody, input);
  const filter = req.ResponseFilter;
  return {
    GroupInfo: req.GroupIdList.map((groupId) => {
      const group = ctx.state.groups.get(groupId);
      if (!group) {
        return { GroupId: groupId, ErrorCode: ErrorCodes.GroupNotFound, ErrorInfo: 'group not found' };
      }
      if (!filter) {
        return { ...describeGroup(group), ...describeMembers(group), ...describeCustom(group) };
      }
      return {
        ...pick(describeGroup(group), filter.GroupBaseInfoFilter),
        ...(filter.MemberInfoFilter ? describeMembers(group, filter.MemberInfoFilter) : {}),
        ...(filter.AppDefinedDataFilter_Group
          ? describeCustom(group, filter.AppDefinedDataFilter_Group)
          : {}),
      };
    }),
  };
}

const ALWAYS = ['GroupId', 'ErrorCode', 'ErrorInfo'];

function describeGroup(group: GroupRecord): Record<string, unknown> {
  return {
    GroupId: group.id,
    ErrorCode: 0,
    ErrorInfo: '',
    Type: group.type,
    ...group.profile,
    Owner_Account: group.owner ?? '',
    CreateTime: group.createTime,
    InfoSeq: group.infoSeq,
    LastInfoTime: group.lastInfoTime,
    MemberNum: group.members.size,
    MaxMemberNum: group.maxMemberNum,
    ApplyJoinOption: group.applyJoinOption,
    MuteAllMember: group.muteAllMember,
    ...(group.supportTopic ? { SupportTopic: 1 } : {}),
  };
}

function pick(
  fields: Record<string, unknown>,
  names: readonly string[] | undefined,
): Record<string, unknown> {
  if (!names) return fields;
  return Object.fromEntries(
    Object.entries(fields).filter(([name]) => ALWAYS.includes(name) || names.includes(name)),
  );
}

// `Account` is the filter's name for `Member_Account`, which every listed member keeps.
function describeMembers(group: GroupRecord, names?: readonly string[]): Record<string, unknown> {
  const withRole = !names || names.includes('Role');
  return {
    MemberList: [...group.members].map(([Member_Account, Role]) =>
      withRole ? { Member_Account, Role } : { Member_Account },
    ),
  };
}

function describeCustom(group: GroupRecord, keys?: readonly string[]): Record<string, unknown> {
  const entries = [...group.customFields].filter(([Key]) => !keys || keys.includes(Key));
  return { AppDefinedData: entries.map(([Key, Value]) => ({ Key, Value })) };
}
