import type { ProfileChange } from '../../protocol/index.js';
import type { GroupLookup, MirrorSource, TopicFacts } from './mirror-source.js';

/** The calls of the REST client (`timhook/rest`'s `RestClient`) the mirror makes. */
export interface MirrorRestCalls {
  /** Where the calls go, named in error messages. */
  readonly baseUrl: string;
  getAppidGroupList(request?: {
    limit?: number;
    next?: string;
  }): Promise<{ totalCount: number; groupIds: string[]; next: string }>;
  getGroupInfo(groupIds: readonly string[]): Promise<
    Array<
      | {
          groupId: string;
          found: true;
          type: string | null;
          profile: ProfileChange;
          raw: Record<string, unknown>;
        }
      | { groupId: string; found: false; gone: boolean; errorCode: number; errorInfo: string }
    >
  >;
  getTopic(
    groupId: string,
    request?: { topicIds?: readonly string[] },
  ): Promise<
    Array<
      | { topicId: string; found: true; profile: ProfileChange; raw: Record<string, unknown> }
      | { topicId: string; found: false; gone: boolean; errorCode: number; errorInfo: string }
    >
  >;
}

// The backend's codes for a group that does not exist or was dissolved, and for a malformed id.
const GONE_CODES = new Set([10010, 10015]);

/**
 * The mirror's source over the REST client. `get_group_info` is asked with no `ResponseFilter`, so
 * every custom field the group has is in the answer; a group whose answer has no `AppDefinedData`
 * has none. `SupportTopic` (1 or true) marks a community with topics.
 */
export function createRestSource(client: MirrorRestCalls): MirrorSource {
  return {
    async listGroups(next, limit) {
      const page = await naming(client.baseUrl, client.getAppidGroupList({ limit, next }));
      return { groupIds: page.groupIds, next: page.next, total: page.totalCount };
    },
    async getGroups(groupIds) {
      const results = await naming(client.baseUrl, client.getGroupInfo(groupIds));
      return results.map((result): GroupLookup => {
        if (!result.found) {
          return result.gone
            ? { groupId: result.groupId, status: 'gone' }
            : { groupId: result.groupId, status: 'failed', error: `${result.errorCode} ${result.errorInfo}` };
        }
        const support = result.raw.SupportTopic;
        return {
          groupId: result.groupId,
          status: 'found',
          facts: {
            groupId: result.groupId,
            type: result.type,
            profile: { ...result.profile, customFields: result.profile.customFields ?? {} },
            supportTopic: support === 1 || support === true || support === '1',
            answer: summarize(result.raw),
          },
        };
      });
    },
    async getTopics(groupId, topicIds) {
      let results;
      try {
        results = await client.getTopic(groupId, topicIds ? { topicIds } : {});
      } catch (error) {
        const code = (error as { errorCode?: unknown }).errorCode;
        if (typeof code === 'number' && GONE_CODES.has(code)) return null;
        throw withTarget(client.baseUrl, error);
      }
      return results.flatMap((result): TopicFacts[] =>
        result.found ? [{ topicId: result.topicId, profile: result.profile, answer: result.raw }] : [],
      );
    },
  };
}

/** `call`, its error naming the REST API's base URL (an operator's first question). */
async function naming<T>(baseUrl: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw withTarget(baseUrl, error);
  }
}

/** An error saying where the call went, keeping `fatal` and `errorCode` of the REST error it wraps. */
function withTarget(baseUrl: string, error: unknown): Error {
  if (!(error instanceof Error)) return new Error(`REST API at ${baseUrl}: ${String(error)}`);
  if (error.message.includes(baseUrl)) return error;
  const wrapped = new Error(`REST API at ${baseUrl}: ${error.message}`, { cause: error });
  const { fatal, errorCode } = error as { fatal?: unknown; errorCode?: unknown };
  return Object.assign(wrapped, { fatal: fatal === true, errorCode });
}

/** The answer's entry without its member list (a large group's would bloat the log). */
function summarize(raw: Record<string, unknown>): Record<string, unknown> {
  const { MemberList: _members, ...rest } = raw;
  return rest;
}
