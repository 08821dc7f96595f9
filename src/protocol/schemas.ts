import { z } from 'zod';
import { type Command, Commands } from './commands.js';
import { parseEventTime } from './event-time.js';

// Unknown body fields are kept (loose objects): Tencent adds fields over time and a receiver must
// not break on them (forward compatible).

/** `EventTime` in ms as a number or numeric string; a value that is neither is dropped, not fatal. */
const eventTime = z.unknown().transform((v) => parseEventTime(v));
const text = z.string();
const groupId = z.string().min(1, 'GroupId must not be empty');

/** One entry of `UserDefinedDataList`. */
export const CustomFieldSchema = z.looseObject({ Key: z.string().min(1), Value: z.string() });
const customFields = z.array(CustomFieldSchema);
const members = z.array(z.looseObject({ Member_Account: z.string() }));

const common = {
  CallbackCommand: z.string(),
  GroupId: groupId,
  Type: text.optional(),
  Operator_Account: text.optional(),
  EventTime: eventTime.optional(),
};

const profile = {
  Name: text.optional(),
  Introduction: text.optional(),
  Notification: text.optional(),
  FaceUrl: text.optional(),
};

/** Seed 003: only the fields that changed are present. */
export const GroupInfoChangedSchema = z.looseObject({
  ...common,
  ...profile,
  UserDefinedDataList: customFields.optional(),
});

/** Seed 000. `TopicId` and `EventTime` are not in the documented body but are accepted (UNSETTLED). */
export const TopicInfoChangedSchema = z.looseObject({
  ...common,
  ...profile,
  TopicId: text.optional(),
});

export const CreateGroupSchema = z.looseObject({
  ...common,
  ...profile,
  Owner_Account: text.optional(),
  MemberList: members.optional(),
  UserDefinedDataList: customFields.optional(),
});

export const GroupDestroyedSchema = z.looseObject({
  ...common,
  Owner_Account: text.optional(),
  MemberList: members.optional(),
});

export const CreateTopicSchema = z.looseObject({
  ...common,
  ...profile,
  TopicId: z.string().min(1, 'TopicId must not be empty'),
  Owner_Account: text.optional(),
  UserDefinedDataList: customFields.optional(),
});

export const TopicDestroyedSchema = z.looseObject({
  ...common,
  TopicIdList: z.array(z.string().min(1)),
});

/** The body schema of each known command. */
export const BodySchemas = {
  [Commands.GroupInfoChanged]: GroupInfoChangedSchema,
  [Commands.TopicInfoChanged]: TopicInfoChangedSchema,
  [Commands.CreateGroup]: CreateGroupSchema,
  [Commands.GroupDestroyed]: GroupDestroyedSchema,
  [Commands.CreateTopic]: CreateTopicSchema,
  [Commands.TopicDestroyed]: TopicDestroyedSchema,
} as const satisfies Record<Command, z.ZodType>;

/** The parsed body of command `C` (`EventTime` already a number of ms, or absent). */
export type BodyOf<C extends Command> = z.output<(typeof BodySchemas)[C]>;

/** A body that broke its schema: one readable line per problem. */
export type BodyCheck<C extends Command> = { ok: true; body: BodyOf<C> } | { ok: false; problems: string[] };

/** Validates `value` against the schema of `command`. */
export function parseBody<C extends Command>(command: C, value: unknown): BodyCheck<C> {
  const result = BodySchemas[command].safeParse(value);
  if (result.success) return { ok: true, body: result.data as BodyOf<C> };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(body)';
      return `${path}: ${issue.message}`;
    }),
  };
}
