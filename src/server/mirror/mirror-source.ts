import type { ProfileChange } from '../../protocol/index.js';

/** A page of `get_appid_group_list`: the ids, and the cursor of the next page (`'0'`: none). */
export interface GroupListPage {
  groupIds: string[];
  /** Decimal digits (a 64-bit number, kept exact). */
  next: string;
  /** `TotalCount`, when the answer has it. */
  total: number | null;
}

/** A group as `get_group_info` reports it: its profile whole, custom fields included. */
export interface GroupFacts {
  groupId: string;
  type: string | null;
  /** Every base field (empty strings included) and every custom field the answer holds. */
  profile: ProfileChange;
  /** A community with topics: its topics are read with `get_topic`. */
  supportTopic: boolean;
  /** The answer's entry for this group, kept in the log entry's raw body. */
  answer: unknown;
}

/** One id of a `get_group_info` call: found, gone (10010/10015), or failed with its own code. */
export type GroupLookup =
  | { groupId: string; status: 'found'; facts: GroupFacts }
  | { groupId: string; status: 'gone' }
  | { groupId: string; status: 'failed'; error: string };

/** A topic as `get_topic` reports it. */
export interface TopicFacts {
  topicId: string;
  /** `Name` (the API's `TopicName`), `Introduction`, `Notification`, `FaceUrl`. */
  profile: ProfileChange;
  answer: unknown;
}

/**
 * What the mirror asks the Chat REST API. A call that fails as a whole rejects (after the client's
 * own retries); an error the operator must fix (wrong secret key, identifier not an admin) rejects
 * with an error whose `fatal` is true, and the pass stops.
 */
export interface MirrorSource {
  /** `group_open_http_svc/get_appid_group_list`, from cursor `next` (`'0'` first). */
  listGroups(next: string, limit: number): Promise<GroupListPage>;
  /** `group_open_http_svc/get_group_info`, ≤ 50 ids, one lookup per id in the same order. */
  getGroups(groupIds: readonly string[]): Promise<GroupLookup[]>;
  /**
   * `million_group_open_http_svc/get_topic`: the topics of a community (only `topicIds` when
   * given); null when the community is gone.
   */
  getTopics(groupId: string, topicIds?: readonly string[]): Promise<TopicFacts[] | null>;
}

/** True for an error that retrying cannot fix: the pass stops and says why. */
export function isFatalSourceError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { fatal?: unknown }).fatal === true;
}
