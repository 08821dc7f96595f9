import type { ProfileChange } from '../protocol/index.js';

/** `<service>/<command>` of the calls the typed methods make. */
export const RestApis = {
  getAppidGroupList: 'group_open_http_svc/get_appid_group_list',
  getGroupInfo: 'group_open_http_svc/get_group_info',
  getTopic: 'million_group_open_http_svc/get_topic',
} as const;

/** The documented ceilings of the calls (the API pages' "maximum call frequency" and limits). */
export const RestLimits = {
  /** `Limit` of one `get_appid_group_list` page. */
  maxGroupListPage: 10_000,
  /** Ids in one `get_group_info` call. */
  maxGroupInfoIds: 50,
} as const;

/** Calls per second allowed by default, by `<service>/<command>`: the documented maximums. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<string, number>> = {
  [RestApis.getAppidGroupList]: 1,
  [RestApis.getGroupInfo]: 200,
  [RestApis.getTopic]: 200,
};

/** The rate of a call with no documented limit of its own, calls per second. */
export const DEFAULT_OTHER_RATE_LIMIT = 200;

/** One page of `get_appid_group_list`. */
export interface GroupIdPage {
  /** Groups in the app (of the requested type), whatever the page. */
  totalCount: number;
  groupIds: string[];
  /**
   * The cursor of the next page as decimal digits (a 64-bit number: kept exact), `'0'` when this
   * was the last page.
   */
  next: string;
}

/** What to ask `get_appid_group_list` for. */
export interface GroupIdPageRequest {
  /** Ids per page, 1 to 10,000. Default 10,000. */
  limit?: number;
  /** The cursor from the previous page; `'0'` or absent for the first. */
  next?: string | number | bigint;
  /** Only groups of this type (`Public`, `Private`, `ChatRoom`, `AVChatRoom`, `Community`, …). */
  groupType?: string;
}

/** What to ask `get_group_info` for besides the ids. */
export interface GroupInfoRequest {
  /**
   * The custom group fields to return (`AppDefinedDataFilter_Group`). When given, the call carries
   * a `ResponseFilter` with {@link GROUP_BASE_INFO_FIELDS} and these keys, and the answer stays
   * small; when absent, no filter is sent and the backend answers everything it has (member list
   * included), so every custom field is seen.
   */
  customFieldKeys?: readonly string[];
  /** The base fields to return (`GroupBaseInfoFilter`) when a filter is sent. */
  baseInfoFields?: readonly string[];
}

/** The base fields asked for when a `ResponseFilter` is sent. */
export const GROUP_BASE_INFO_FIELDS: readonly string[] = [
  'Type',
  'Name',
  'Introduction',
  'Notification',
  'FaceUrl',
  'Owner_Account',
  'CreateTime',
  'LastInfoTime',
];

/** A group's profile as `get_group_info` reported it. */
export interface FoundGroup {
  groupId: string;
  found: true;
  /** `Type` as answered (`Public`, `Community`, …), `null` when absent. */
  type: string | null;
  /**
   * The profile fields the answer carried, named as in callbacks; `customFields` holds every key of
   * `AppDefinedData` and is absent when the answer had no `AppDefinedData`.
   */
  profile: ProfileChange;
  /** The answer's entry as it came. */
  raw: Record<string, unknown>;
}

/** A group `get_group_info` could not describe. */
export interface MissingGroup {
  groupId: string;
  found: false;
  /** True when the group does not exist or was dissolved (10010) or its id is malformed (10015). */
  gone: boolean;
  errorCode: number;
  errorInfo: string;
}

/** One entry of `get_group_info`'s answer, in the order of the ids asked for. */
export type GroupInfoResult = FoundGroup | MissingGroup;

/** What to ask `get_topic` for besides the community. */
export interface TopicRequest {
  /** Only these topics; all the community's topics when absent. */
  topicIds?: readonly string[];
  /** `From_Account`: whose self-info to return beside each topic; omitted when absent. */
  fromAccount?: string;
}

/** A topic's profile as `get_topic` reported it. */
export interface FoundTopic {
  topicId: string;
  found: true;
  /** `TopicName` as `Name`, with `Introduction`, `Notification`, `FaceUrl`, as the answer carried. */
  profile: ProfileChange;
  /** `CustomString`, `null` when absent. */
  customString: string | null;
  /** The answer's `TopicInfo` as it came. */
  raw: Record<string, unknown>;
}

/** A topic `get_topic` could not describe. */
export interface MissingTopic {
  topicId: string;
  found: false;
  /** True when the topic does not exist (10010). */
  gone: boolean;
  errorCode: number;
  errorInfo: string;
}

/** One entry of `get_topic`'s answer. */
export type TopicInfoResult = FoundTopic | MissingTopic;

/** The outcome of one HTTP attempt of a REST call. */
export type RestOutcome =
  /** `ActionStatus: OK`. */
  | 'ok'
  /** A Chat error that is neither retried nor fatal. */
  | 'error'
  /** A fatal Chat error (secret key, admin, SDKAppID, region). */
  | 'fatal'
  /** A busy or internal-error code: retried. */
  | 'busy'
  /** An over-limit code: retried after waiting. */
  | 'over-limit'
  /** No connection or a broken one. */
  | 'network'
  /** No whole answer within the timeout. */
  | 'timeout'
  /** An HTTP status other than 200, or not the JSON envelope. */
  | 'answer';

/** Reported after every HTTP attempt. */
export interface RestCallEvent {
  api: string;
  outcome: RestOutcome;
  /** 1 for the first attempt of a call. */
  attempt: number;
  /** Whether another attempt follows. */
  willRetry: boolean;
  durationMs: number;
  /** The answer's `ErrorCode`, when there was an answer. */
  errorCode?: number;
}

/** Reported when a call waited for its API's rate limit. */
export interface RestRateLimitWait {
  api: string;
  waitedMs: number;
}

/** Counters since the client was made, as {@link RestClient.metrics} returns them. */
export interface RestMetrics {
  /** HTTP attempts by API and outcome. */
  calls: Record<string, Partial<Record<RestOutcome, number>>>;
  /** Waits for the rate limit by API: how many, and how long in all. */
  rateLimitWaits: Record<string, { count: number; totalMs: number }>;
}
