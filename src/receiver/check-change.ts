import { type BodyOf, type Command, Commands, parseEventTime } from '../protocol/index.js';

// The two callbacks of the mission, checked without zod: zod's parse costs several µs a callback
// on a busy server (bench/receiver.mjs), this check a fraction of that. It only ever accepts, and
// gives exactly zod's output, key order included; any body it is not sure of goes to zod, which
// has the final word and words the problems. test/receiver/check-change.test.ts compares the two
// on many bodies, and pins the field lists below to the zod shapes of protocol/schemas.ts.

type ChangeCommand = typeof Commands.GroupInfoChanged | typeof Commands.TopicInfoChanged;

/** The fields of each body, in the order of its zod shape. */
export const CHANGE_FIELDS: Readonly<Record<ChangeCommand, readonly string[]>> = {
  [Commands.GroupInfoChanged]: [
    'CallbackCommand',
    'GroupId',
    'Type',
    'Operator_Account',
    'EventTime',
    'Name',
    'Introduction',
    'Notification',
    'FaceUrl',
    'UserDefinedDataList',
  ],
  [Commands.TopicInfoChanged]: [
    'CallbackCommand',
    'GroupId',
    'Type',
    'Operator_Account',
    'EventTime',
    'Name',
    'Introduction',
    'Notification',
    'FaceUrl',
    'TopicId',
  ],
};

const GROUP_FIELDS = new Set(CHANGE_FIELDS[Commands.GroupInfoChanged]);
const TOPIC_FIELDS = new Set(CHANGE_FIELDS[Commands.TopicInfoChanged]);

/**
 * The body of a group or topic profile change exactly as zod parses it, or `undefined` to leave
 * the decision to zod (another command, or a body this check is not sure of).
 */
export function checkChangeFast<C extends Command>(command: C, value: unknown): BodyOf<C> | undefined {
  if (command === Commands.GroupInfoChanged) return checkChange(value, false) as BodyOf<C> | undefined;
  if (command === Commands.TopicInfoChanged) return checkChange(value, true) as BodyOf<C> | undefined;
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

const isText = (value: unknown) => value === undefined || typeof value === 'string';

function checkChange(value: unknown, topic: boolean): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) return undefined;
  const {
    CallbackCommand,
    GroupId,
    Type,
    Operator_Account,
    EventTime,
    Name,
    Introduction,
    Notification,
    FaceUrl,
  } = value;
  if (typeof CallbackCommand !== 'string' || typeof GroupId !== 'string' || GroupId === '') return undefined;
  if (!isText(Type) || !isText(Operator_Account) || !isText(Name) || !isText(Introduction)) return undefined;
  if (!isText(Notification) || !isText(FaceUrl)) return undefined;
  if (EventTime !== undefined && typeof EventTime !== 'number' && typeof EventTime !== 'string')
    return undefined;
  const out: Record<string, unknown> = { CallbackCommand, GroupId };
  let count = 2;
  if ('Type' in value) {
    out.Type = Type;
    count++;
  }
  if ('Operator_Account' in value) {
    out.Operator_Account = Operator_Account;
    count++;
  }
  if ('EventTime' in value) {
    out.EventTime = parseEventTime(EventTime);
    count++;
  }
  if ('Name' in value) {
    out.Name = Name;
    count++;
  }
  if ('Introduction' in value) {
    out.Introduction = Introduction;
    count++;
  }
  if ('Notification' in value) {
    out.Notification = Notification;
    count++;
  }
  if ('FaceUrl' in value) {
    out.FaceUrl = FaceUrl;
    count++;
  }
  if (topic) {
    if ('TopicId' in value) {
      if (!isText(value.TopicId)) return undefined;
      out.TopicId = value.TopicId;
      count++;
    }
  } else if ('UserDefinedDataList' in value) {
    const list = value.UserDefinedDataList;
    if (list !== undefined) {
      const fields = readCustomFields(list);
      if (!fields) return undefined;
      out.UserDefinedDataList = fields;
    } else out.UserDefinedDataList = undefined;
    count++;
  }
  return copyRest(value, out, count, topic ? TOPIC_FIELDS : GROUP_FIELDS);
}

/** `[{ Key: non-empty string, Value: string, ...more }]`, copied as zod copies it. */
function readCustomFields(list: unknown): Array<Record<string, unknown>> | undefined {
  if (!Array.isArray(list)) return undefined;
  const out: Array<Record<string, unknown>> = [];
  for (const item of list) {
    if (!isPlainObject(item)) return undefined;
    const { Key, Value } = item;
    if (typeof Key !== 'string' || Key === '' || typeof Value !== 'string') return undefined;
    const copy = copyRest(item, { Key, Value }, 2, CUSTOM_FIELDS);
    if (!copy) return undefined;
    out.push(copy);
  }
  return out;
}

const CUSTOM_FIELDS = new Set(['Key', 'Value']);

/** Adds the fields outside the schema after the schema's own, as a loose zod object does. */
function copyRest(
  input: Record<string, unknown>,
  out: Record<string, unknown>,
  count: number,
  known: ReadonlySet<string>,
): Record<string, unknown> | undefined {
  const keys = Object.keys(input);
  if (keys.length === count) return out;
  for (const key of keys) {
    if (known.has(key)) continue;
    // An own `__proto__` key (JSON.parse makes one) is left to zod.
    if (key === '__proto__') return undefined;
    out[key] = input[key];
  }
  return out;
}
