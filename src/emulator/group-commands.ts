import { BASE_FIELDS, checkCustomGroupId, generateGroupId } from '../protocol/index.js';
import {
  createGroupCallback,
  groupDestroyedCallback,
  groupInfoChangedCallback,
  isEmptyChange,
  type ProfileChanges,
} from './callback-bodies.js';
import type { CommandContext } from './command-context.js';
import { ErrorCodes, failWith } from './errors.js';
import { CreateGroupBody, DestroyGroupBody, ModifyGroupBody, parseRequest } from './request-schemas.js';
import {
  checkByteLimits,
  checkCustomFieldCount,
  checkName,
  checkProfilePermission,
  findGroup,
  GROUP_TYPES,
  groupKindOf,
  readCustomFieldUpdates,
} from './rules.js';
import type { GroupRecord, MemberRole } from './state.js';

const DEFAULT_MAX_MEMBERS = 2000;

/** `group_open_http_svc/create_group`: answers `GroupId`. */
export function createGroup(ctx: CommandContext, input: unknown): Record<string, unknown> {
  const req = parseRequest(CreateGroupBody, input);
  const kind =
    groupKindOf(req.Type) ??
    failWith(ErrorCodes.InvalidParameter, `Type must be one of ${GROUP_TYPES.join(', ')}`);
  checkName('Name', req.Name);
  checkByteLimits(req, { ...ctx.config.limits });
  const supportTopic = req.SupportTopic === true || req.SupportTopic === 1;
  if (supportTopic && kind !== 'Community') {
    failWith(ErrorCodes.InvalidParameter, 'SupportTopic applies to Community groups only');
  }
  const custom = readCustomFieldUpdates(req.AppDefinedData ?? [], ctx.config);
  if (ctx.config.emptyCustomValue === 'delete') {
    for (const [key, value] of custom) if (value === '') custom.delete(key);
  }
  const owner = req.Owner_Account || null;
  const members = new Map<string, MemberRole>();
  if (owner) members.set(owner, 'Owner');
  for (const member of req.MemberList ?? []) {
    if (member.Member_Account !== owner) members.set(member.Member_Account, member.Role ?? 'Member');
  }
  const id = req.GroupId ? claimCustomId(ctx, req.GroupId, kind) : newGroupId(ctx, req.Type);
  const createTime = Math.floor(ctx.now() / 1000);
  const group: GroupRecord = {
    id,
    seq: ctx.state.nextGroupSeq++,
    type: req.Type,
    profile: {
      Name: req.Name,
      Introduction: req.Introduction ?? '',
      Notification: req.Notification ?? '',
      FaceUrl: req.FaceUrl ?? '',
    },
    customFields: custom,
    owner,
    members,
    supportTopic,
    maxMemberNum: req.MaxMemberNum ?? DEFAULT_MAX_MEMBERS,
    applyJoinOption: req.ApplyJoinOption ?? 'NeedPermission',
    muteAllMember: req.MuteAllMember ?? 'Off',
    createTime,
    lastInfoTime: createTime,
    infoSeq: 1,
    topics: new Map(),
  };
  ctx.state.groups.set(id, group);
  ctx.emit(createGroupCallback(group, ctx.operator, ctx.now()));
  return { GroupId: id };
}

function claimCustomId(ctx: CommandContext, id: string, kind: string): string {
  const problem = checkCustomGroupId(id, kind === 'Community' ? 'Community' : kind);
  if (problem) failWith(ErrorCodes.InvalidGroupId, `${JSON.stringify(id)}: ${problem}`);
  if (ctx.state.groups.has(id)) failWith(ErrorCodes.GroupIdInUse, `group id ${id} is already in use`);
  return id;
}

function newGroupId(ctx: CommandContext, type: string): string {
  for (;;) {
    const id = generateGroupId(groupKindOf(type) === 'Community' ? 'Community' : type);
    if (!ctx.state.groups.has(id)) return id;
  }
}

/**
 * `group_open_http_svc/modify_group_base_info`. Only Name, Introduction, Notification, FaceUrl and
 * custom fields fire the callback (docs/protocol.md §3); it carries only the fields that changed.
 */
export function modifyGroupBaseInfo(ctx: CommandContext, input: unknown): Record<string, unknown> {
  const req = parseRequest(ModifyGroupBody, input);
  const group = findGroup(ctx.state, req.GroupId);
  if (ctx.via === 'client') checkProfilePermission(group, ctx.operator, ctx.config.admins);
  checkName('Name', req.Name);
  checkByteLimits(req, { ...ctx.config.limits });
  const updates = readCustomFieldUpdates(req.AppDefinedData ?? [], ctx.config);
  const changes: ProfileChanges = { fields: {}, custom: [] };
  // UNSETTLED (docs/protocol.md §3): a field set to its current value is left out unless `send`.
  const sendAll = ctx.config.unchangedFields === 'send';
  for (const field of BASE_FIELDS) {
    const value = req[field];
    if (value !== undefined && (sendAll || value !== group.profile[field])) changes.fields[field] = value;
  }
  const nextCustom = new Map(group.customFields);
  for (const [key, value] of updates) {
    const current = group.customFields.get(key);
    // UNSETTLED (docs/protocol.md §3): an empty Value sets the field to "" unless `delete` is chosen.
    if (value === '' && ctx.config.emptyCustomValue === 'delete') nextCustom.delete(key);
    else nextCustom.set(key, value);
    if (sendAll || current !== nextCustom.get(key)) changes.custom.push([key, value]);
  }
  checkCustomFieldCount(nextCustom.size);

  const before = profileKey(group);
  Object.assign(group.profile, changes.fields);
  group.customFields = nextCustom;
  if (profileKey(group) !== before) {
    group.lastInfoTime = Math.floor(ctx.now() / 1000);
    group.infoSeq++;
  }
  if (req.MaxMemberNum !== undefined) group.maxMemberNum = req.MaxMemberNum;
  if (req.ApplyJoinOption !== undefined) group.applyJoinOption = req.ApplyJoinOption;
  if (req.MuteAllMember !== undefined) group.muteAllMember = req.MuteAllMember;
  if (!isEmptyChange(changes)) ctx.emit(groupInfoChangedCallback(group, ctx.operator, changes, ctx.now()));
  return {};
}

function profileKey(group: GroupRecord): string {
  return JSON.stringify([group.profile, [...group.customFields]]);
}

/** `group_open_http_svc/destroy_group`; the group's topics go with it, with no topic callback. */
export function destroyGroup(ctx: CommandContext, input: unknown): Record<string, unknown> {
  const req = parseRequest(DestroyGroupBody, input);
  const group = findGroup(ctx.state, req.GroupId);
  ctx.state.groups.delete(group.id);
  ctx.emit(groupDestroyedCallback(group, ctx.now()));
  return {};
}
