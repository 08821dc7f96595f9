import type { ProfileChange } from '../protocol/index.js';
import type { LogEntry } from './change-log.js';

const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';

/**
 * PostgreSQL `text` cannot hold U+0000, which a callback can carry in any string (`\u0000` in its
 * JSON, `%00` in its query): the row, and with it the whole group-commit batch, would be refused.
 * U+FFFD stands in for it, in what is written and in what is looked up alike.
 */
export function toStorableText(text: string): string {
  return text.includes(NUL) ? text.replaceAll(NUL, REPLACEMENT) : text;
}

/**
 * The entry with U+0000 replaced in every string the store writes as text (see
 * {@link toStorableText}), so that the append's result, the rendered JSON, the columns and the
 * projection all agree. A JSON body keeps its `\u0000` escapes as received (plain ASCII). The entry
 * itself is returned when it holds no U+0000, which is every honest callback.
 */
export function toStorableEntry(entry: LogEntry): LogEntry {
  const strings = [
    entry.command,
    entry.sdkAppId,
    entry.groupId,
    entry.topicId,
    entry.groupType,
    entry.operator,
    entry.optPlatform,
    entry.clientIp,
    entry.rawBody,
    ...entry.topicIds,
  ];
  const inChanges = JSON.stringify(entry.changes ?? null).includes('\\u0000');
  if (!inChanges && !strings.some((value) => typeof value === 'string' && value.includes(NUL))) return entry;
  const clean = <T>(value: T): T => (typeof value === 'string' ? (toStorableText(value) as T) : value);
  return {
    ...entry,
    command: clean(entry.command),
    sdkAppId: clean(entry.sdkAppId),
    groupId: clean(entry.groupId),
    topicId: clean(entry.topicId),
    topicIds: entry.topicIds.map(clean),
    groupType: clean(entry.groupType),
    operator: clean(entry.operator),
    optPlatform: clean(entry.optPlatform),
    clientIp: clean(entry.clientIp),
    rawBody: clean(entry.rawBody),
    changes: inChanges ? cleanChanges(entry.changes) : entry.changes,
  };
}

function cleanChanges(changes: ProfileChange): ProfileChange {
  const clean: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes)) {
    clean[key] =
      key === 'customFields' && typeof value === 'object' && value !== null
        ? Object.fromEntries(
            Object.entries(value as Record<string, string>).map(([k, v]) => [
              toStorableText(k),
              toStorableText(v),
            ]),
          )
        : typeof value === 'string'
          ? toStorableText(value)
          : value;
  }
  return clean as ProfileChange;
}
