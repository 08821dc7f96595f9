import { z } from 'zod';
import { BodySchemas } from '../../protocol/index.js';
import { MAX_LIMIT } from '../api-params.js';

/** Query parameters of one route: each property becomes one `in: query` parameter. */
export type QuerySchema = z.ZodObject;

const seqParam = (what: string) =>
  z
    .string()
    .regex(/^\d{1,15}$/)
    .describe(what)
    .optional();
const time = (what: string) => z.string().describe(`${what}: ms, or an ISO 8601 date`).optional();

/** The cursor and size of an event page (`readEventQuery`). */
export const pagingParams = z.object({
  after: seqParam('Oldest first: events with seq > after'),
  before: seqParam('Newest first: events with seq < before'),
  order: z.enum(['asc', 'desc']).optional(),
  limit: z.int().min(1).max(MAX_LIMIT).default(100).optional(),
});

/** The filters of an event query (`readEventQuery`). */
export const filterParams = z.object({
  groupId: z.string().describe('The group, or a community').optional(),
  topicId: z.string().optional(),
  command: z.string().describe('e.g. Group.CallbackAfterGroupInfoChanged').optional(),
  operator: z.string().describe('Operator_Account').optional(),
  kind: z.enum(['group', 'topic']).optional(),
  optPlatform: z.string().optional(),
  since: time('receivedAt ≥'),
  until: time('receivedAt ≤'),
});

/** The dashboard's filters (`readSearchFilters`). */
export const searchParams = z.object({
  field: z
    .string()
    .max(100)
    .describe('Only changes that carried this field: Name, customFields.Level, or customFields for any')
    .optional(),
  search: z
    .string()
    .max(200)
    .describe('Text in the group’s or topic’s id or current name, any case')
    .optional(),
});

/** A page of profiles or dead letters. */
export const profilePageParams = z.object({
  before: seqParam('lastSeq cursor'),
  limit: pagingParams.shape.limit,
});

export const deadLetterParams = z.object({
  after: seqParam('seq cursor'),
  limit: pagingParams.shape.limit,
});

export const exportParams = z.object({ format: z.enum(['csv', 'jsonl']).default('csv').optional() });

export const rateParams = z.object({
  since: time('Default: 60 buckets before until'),
  until: time('Default: the end of the current bucket'),
  bucket: z.int().min(1000).max(86_400_000).default(60_000).optional(),
});

/** The query of a callback URL (docs/protocol.md §1). */
export const callbackParams = z.object({
  SdkAppid: z.string(),
  CallbackCommand: z.string(),
  contenttype: z.literal('json').optional(),
  ClientIP: z.string().optional(),
  OptPlatform: z.string().optional(),
  Sign: z.string().describe('Required when the recorder has a callback token').optional(),
  RequestTime: z.string().describe('Unix seconds; required with Sign').optional(),
});

/** `POST /api/relay/{sink}/replay`: a seq, or a time. */
export const replayBody = z.union([
  z.object({ from: z.int().min(1) }),
  z.object({ since: z.union([z.number(), z.string()]).describe('ms, or an ISO 8601 date') }),
]);

/** The body of a callback: one of the commands' schemas, or another command's body. */
export const callbackBody = z.union([
  ...Object.values(BodySchemas),
  z.looseObject({ CallbackCommand: z.string() }),
]);
