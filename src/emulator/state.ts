import type { BaseField } from '../protocol/index.js';

/** A member's role in a group (create_group `MemberList[].Role`, plus the owner). */
export type MemberRole = 'Owner' | 'Admin' | 'Member';

/** A group's four base profile fields, by their callback names (seed 003). */
export type BaseProfile = Record<BaseField, string>;

/** A topic of a topic-enabled Community. */
export interface TopicRecord {
  id: string;
  /** `Name` is the callback's name for the REST API's `TopicName` (seed 000). */
  profile: BaseProfile;
  customString: string;
  owner: string | null;
  muteAllMember: 'On' | 'Off';
  /** Unix seconds. */
  createTime: number;
}

/** A group, with the members and roles it was created with. */
export interface GroupRecord {
  id: string;
  /** Creation order, from 1: the `Next` cursor of get_appid_group_list pages by it. */
  seq: number;
  /** The type exactly as given at creation (`Private`, `Work`, `Public`, …); sent back as given. */
  type: string;
  profile: BaseProfile;
  /** Custom fields by key, in the order they were first set. */
  customFields: Map<string, string>;
  owner: string | null;
  members: Map<string, MemberRole>;
  supportTopic: boolean;
  maxMemberNum: number;
  applyJoinOption: string;
  muteAllMember: 'On' | 'Off';
  /** Unix seconds. */
  createTime: number;
  /** Unix seconds of the last change to the profile or custom fields (`LastInfoTime`). */
  lastInfoTime: number;
  /** Grows by one with every change to the profile or custom fields (`InfoSeq`). */
  infoSeq: number;
  topics: Map<string, TopicRecord>;
}

/** Everything the emulated backend holds: in memory, gone when the process stops. */
export interface EmulatorState {
  /** Groups in creation order (a Map keeps insertion order; deleting does not reorder it). */
  groups: Map<string, GroupRecord>;
  /** The `seq` the next group gets. */
  nextGroupSeq: number;
}

/** An empty backend. */
export function createState(): EmulatorState {
  return { groups: new Map(), nextGroupSeq: 1 };
}
