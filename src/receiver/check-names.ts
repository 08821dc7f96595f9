import { type CallbackQuery, checkId, checkText } from '../protocol/index.js';

// The fields a recorder keeps as ids (columns it looks up, parts of API paths) and as names (the
// profile's text and the custom field keys). Custom field values are the app's own data: kept as
// they came, whatever they hold (docs/ids.md).
const ID_FIELDS = ['GroupId', 'TopicId', 'Operator_Account', 'Owner_Account'] as const;
const TEXT_FIELDS = ['Type', 'Name', 'Introduction', 'Notification', 'FaceUrl'] as const;

type Check = (text: string) => string | null;

/**
 * The first id or name of a callback that breaks the id rules (`protocol/id-rules.ts`), as
 * `<field>: <rule>`, or `null`. Reads every body, typed or not: whatever its command, a recorder
 * keeps its `GroupId` and operator. A value that is not a string is left to the schema.
 */
export function findNameProblem(
  command: string,
  query: CallbackQuery,
  body: Record<string, unknown>,
): string | null {
  const ip = problemIn(query.ClientIP, checkText);
  if (ip) return `ClientIP: ${ip}`;
  const platform = problemIn(query.OptPlatform, checkText);
  if (platform) return `OptPlatform: ${platform}`;
  const inBody = findBodyProblem(body);
  if (inBody) return `${command}: ${inBody}`;
  const inCommand = checkText(command);
  return inCommand ? `CallbackCommand: ${inCommand}` : null;
}

function findBodyProblem(body: Record<string, unknown>): string | null {
  for (const field of ID_FIELDS) {
    const problem = problemIn(body[field], checkId);
    if (problem) return `${field}: ${problem}`;
  }
  for (const field of TEXT_FIELDS) {
    const problem = problemIn(body[field], checkText);
    if (problem) return `${field}: ${problem}`;
  }
  const topics = body.TopicIdList;
  if (Array.isArray(topics)) {
    for (let i = 0; i < topics.length; i++) {
      const problem = problemIn(topics[i], checkId);
      if (problem) return `TopicIdList.${i}: ${problem}`;
    }
  }
  const custom = body.UserDefinedDataList;
  if (Array.isArray(custom)) {
    for (let i = 0; i < custom.length; i++) {
      const entry: unknown = custom[i];
      const key = typeof entry === 'object' && entry !== null ? (entry as { Key?: unknown }).Key : undefined;
      const problem = problemIn(key, checkText);
      if (problem) return `UserDefinedDataList.${i}.Key: ${problem}`;
    }
  }
  return null;
}

function problemIn(value: unknown, check: Check): string | null {
  return typeof value === 'string' ? check(value) : null;
}
