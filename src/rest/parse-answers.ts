import type { ProfileChange } from '../protocol/index.js';
import type { GroupIdPage, GroupInfoResult, TopicInfoResult } from './types.js';

/** An answer that is not of the documented shape. */
export class BadAnswer extends Error {
  override name = 'BadAnswer';
}

// The backend says a group or topic does not exist or was dissolved (10010), or that its id is
// malformed (10015): the mirror may close its profile.
const GONE_CODES = new Set([10010, 10015]);

// `Next` is a 64-bit unsigned number: quoting its digits before `JSON.parse` keeps it exact. In
// valid JSON a `"Next"` right after `{` or `,` is a key, never text inside a string.
const NEXT_NUMBER = /([{,]\s*"Next"\s*:\s*)(\d+)/g;

/** Parses an answer's JSON text, with every `Next` number kept as its decimal digits. */
export function parseAnswerText(text: string): unknown {
  return JSON.parse(text.replace(NEXT_NUMBER, '$1"$2"'));
}

/** `get_appid_group_list`'s answer as a {@link GroupIdPage}. */
export function readGroupIdPage(answer: Record<string, unknown>): GroupIdPage {
  const list = answer.GroupIdList ?? [];
  if (!Array.isArray(list)) throw new BadAnswer('GroupIdList is not an array');
  const groupIds = list.map((entry: unknown) => {
    const id = isObject(entry) ? entry.GroupId : undefined;
    if (typeof id !== 'string') throw new BadAnswer('a GroupIdList entry has no GroupId');
    return id;
  });
  const next = answer.Next ?? '0';
  if (typeof next !== 'string' || !/^\d+$/.test(next)) throw new BadAnswer('Next is not a whole number');
  const totalCount = answer.TotalCount ?? groupIds.length;
  if (typeof totalCount !== 'number') throw new BadAnswer('TotalCount is not a number');
  return { totalCount, groupIds, next: next.replace(/^0+(?=\d)/, '') };
}

/** `get_group_info`'s answer, one result per entry. */
export function readGroupInfo(answer: Record<string, unknown>): GroupInfoResult[] {
  const list = answer.GroupInfo;
  if (!Array.isArray(list)) throw new BadAnswer('GroupInfo is not an array');
  return list.map((entry: unknown): GroupInfoResult => {
    if (!isObject(entry) || typeof entry.GroupId !== 'string') {
      throw new BadAnswer('a GroupInfo entry has no GroupId');
    }
    const groupId = entry.GroupId;
    const failure = readEntryFailure(entry);
    if (failure) return { groupId, found: false, ...failure };
    const profile = readBaseFields(entry, 'Name');
    if (entry.AppDefinedData !== undefined) profile.customFields = readCustomFields(entry.AppDefinedData);
    const type = typeof entry.Type === 'string' ? entry.Type : null;
    return { groupId, found: true, type, profile, raw: entry };
  });
}

/** `get_topic`'s answer (`TopicAndSelfInfo[]`), one result per entry. */
export function readTopics(answer: Record<string, unknown>): TopicInfoResult[] {
  const list = answer.TopicAndSelfInfo ?? [];
  if (!Array.isArray(list)) throw new BadAnswer('TopicAndSelfInfo is not an array');
  return list.map((entry: unknown): TopicInfoResult => {
    if (!isObject(entry)) throw new BadAnswer('a TopicAndSelfInfo entry is not an object');
    const info = entry.TopicInfo;
    if (!isObject(info) || typeof info.TopicId !== 'string') {
      throw new BadAnswer('a TopicAndSelfInfo entry has no TopicInfo.TopicId');
    }
    const topicId = info.TopicId;
    const failure = readEntryFailure(entry);
    if (failure) return { topicId, found: false, ...failure };
    const profile = readBaseFields(info, 'TopicName');
    const customString = typeof info.CustomString === 'string' ? info.CustomString : null;
    return { topicId, found: true, profile, customString, raw: info };
  });
}

function readEntryFailure(
  entry: Record<string, unknown>,
): { gone: boolean; errorCode: number; errorInfo: string } | null {
  const code = entry.ErrorCode ?? 0;
  if (typeof code !== 'number') throw new BadAnswer('an entry’s ErrorCode is not a number');
  if (code === 0) return null;
  const errorInfo = typeof entry.ErrorInfo === 'string' ? entry.ErrorInfo : '';
  return { gone: GONE_CODES.has(code), errorCode: code, errorInfo };
}

// The answer's profile fields under the names callbacks use; a topic's name is `TopicName`.
function readBaseFields(source: Record<string, unknown>, nameKey: 'Name' | 'TopicName'): ProfileChange {
  const profile: ProfileChange = {};
  const fields = [
    ['Name', source[nameKey]],
    ['Introduction', source.Introduction],
    ['Notification', source.Notification],
    ['FaceUrl', source.FaceUrl],
  ] as const;
  for (const [field, value] of fields) {
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new BadAnswer(`${field} is not a string`);
    profile[field] = value;
  }
  return profile;
}

function readCustomFields(list: unknown): Record<string, string> {
  if (!Array.isArray(list)) throw new BadAnswer('AppDefinedData is not an array');
  // Keys are the app's (`__proto__` is a valid one): a prototype-free record holds any of them.
  const out = Object.create(null) as Record<string, string>;
  for (const item of list) {
    if (!isObject(item) || typeof item.Key !== 'string' || typeof item.Value !== 'string') {
      throw new BadAnswer('an AppDefinedData entry is not {Key, Value} strings');
    }
    out[item.Key] = item.Value;
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
