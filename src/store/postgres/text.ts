import type { LogEntry } from '../change-log.js';

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
 * The entry with U+0000 replaced in every string the store writes to a plain text column (see
 * {@link toStorableText}), so that the append's result, the columns and the projection all agree.
 * Profile values are left as they are: the store keeps them in JSON, where U+0000 is the escape
 * `\u0000`, and gives them back exactly. A receiver refuses U+0000 in every id and name (docs/ids.md),
 * so the entry itself is returned for every callback it let through.
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
  if (!strings.some((value) => typeof value === 'string' && value.includes(NUL))) return entry;
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
  };
}
