import { type CallbackQuery, checkId, checkText } from '../protocol/index.js';

// The fields a recorder keeps as ids (columns it looks up, parts of API paths) and as names (the
// profile's text and the custom field keys). Custom field values are the app's own data: kept as
// they came, whatever they hold (docs/ids.md).
const ID_FIELDS = ['GroupId', 'TopicId', 'Operator_Account', 'Owner_Account'] as const;
const TEXT_FIELDS = ['Type', 'Name', 'Introduction', 'Notification', 'FaceUrl'] as const;

/**
 * The first id or name of a callback that breaks the id rules (`protocol/id-rules.ts`), as
 * `<field>: <rule>`, or `null`. Reads every body, typed or not: whatever command it is, the
 * recorder keeps its `GroupId` and operator. Values that are not strings are the schema's concern.
 */
export function findNameProblem(
  command: string,
  query: CallbackQuery,
  body: Record<string, unknown>,
): string | null {
  const inQuery =
    checkField('ClientIP', query.ClientIP, checkText) ??
    checkField('OptPlatform', query.OptPlatform, checkText);
  if (inQuery) return inQuery;
  const inBody = findBodyProblem(body);
  if (inBody) return `${command}: ${inBody}`;
  const inCommand = checkText(command);
  return inCommand ? `CallbackCommand: ${inCommand}` : null;
}

function findBodyProblem(body: Record<string, unknown>): string | null {
  for (const field of ID_FIELDS) {
    const problem = checkField(field, body[field], checkId);
    if (problem) return problem;
  }
  for (const field of TEXT_FIELDS) {
    const problem = checkField(field, body[field], checkText);
    if (problem) return problem;
  }
  const topics = body.TopicIdList;
  if (Array.isArray(topics)) {
    for (const [i, id] of topics.entries()) {
      const problem = checkField(`TopicIdList.${i}`, id, checkId);
      if (problem) return problem;
    }
  }
  const custom = body.UserDefinedDataList;
  if (Array.isArray(custom)) {
    for (const [i, entry] of custom.entries()) {
      const key: unknown =
        typeof entry === 'object' && entry !== null ? (entry as { Key?: unknown }).Key : undefined;
      const problem = checkField(`UserDefinedDataList.${i}.Key`, key, checkText);
      if (problem) return problem;
    }
  }
  return null;
}

function checkField(field: string, value: unknown, check: (text: string) => string | null): string | null {
  if (typeof value !== 'string') return null;
  const problem = check(value);
  return problem ? `${field}: ${problem}` : null;
}
