import { z } from 'zod';

/**
 * The JSON answers of the recorder's API, as zod schemas: the OpenAPI document's components are
 * generated from them (`build-openapi.ts`), and `test/server/openapi.test.ts` checks every route's
 * real answers against that document. Each schema is registered in {@link apiComponents} under the
 * component name it gets.
 */
export const apiComponents = z.registry<{ id: string; description?: string }>();

const seq = z.int().min(0);
const ms = z.int().describe('Milliseconds since the epoch');
const text = z.string();
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable();
const kind = z.enum(['group', 'topic']);

/** One field that really changed; `from` is null when the old value was never seen. */
export const FieldDiffSchema = z
  .object({ field: text, from: maybe(text), to: text })
  .register(apiComponents, { id: 'Diff' });

/** What one callback said changed: only the fields present. */
export const ProfileChangeSchema = z
  .object({
    Name: text.exactOptional(),
    Introduction: text.exactOptional(),
    Notification: text.exactOptional(),
    FaceUrl: text.exactOptional(),
    customFields: z.record(text, text).exactOptional(),
  })
  .register(apiComponents, { id: 'ProfileChange' });

/** A logged change (docs/recorder.md "API"). */
export const RecordedEventSchema = z
  .object({
    seq,
    receivedAt: ms,
    eventTime: maybe(ms),
    command: text,
    kind,
    sdkAppId: text,
    groupId: maybe(text),
    topicId: maybe(text).describe('null for a topic change that named no topic'),
    groupType: maybe(text),
    operator: maybe(text),
    optPlatform: maybe(text),
    clientIp: maybe(text),
    changes: ProfileChangeSchema,
    diff: z.array(FieldDiffSchema),
    superseded: z.array(text).exactOptional().describe('Fields this change lost to a newer EventTime'),
    raw: z.record(text, z.unknown()).describe('The original Tencent body'),
  })
  .register(apiComponents, { id: 'RecordedEvent' });

/** A page of events. */
export const EventPageSchema = z
  .object({
    events: z.array(RecordedEventSchema),
    next: maybe(seq).describe('Pass as after (asc) or before (desc) for the next page'),
  })
  .register(apiComponents, {
    id: 'EventPage',
    description:
      'Ends at `limit` events or at 1 MiB of events, whichever comes first; holds at least one event',
  });

/** A field's current value and where it came from. */
export const FieldStateSchema = z
  .object({ value: text, eventTime: maybe(ms), changedAt: ms, operator: maybe(text), seq: maybe(seq) })
  .register(apiComponents, { id: 'FieldState' });

const profileFields = {
  groupType: maybe(text),
  profile: z.object({
    Name: text.exactOptional(),
    Introduction: text.exactOptional(),
    Notification: text.exactOptional(),
    FaceUrl: text.exactOptional(),
    customFields: z.record(text, text),
  }),
  fields: z.record(text, FieldStateSchema).describe('Provenance per field: Name, …, customFields.<Key>'),
  createdAt: maybe(ms),
  destroyedAt: maybe(ms),
  firstSeq: seq,
  lastSeq: seq,
  lastChangedAt: ms,
  lastOperator: maybe(text),
  changeCount: z.int().min(0),
};

/** A group's current profile. */
export const GroupProfileSchema = z
  .object({ kind: z.literal('group'), groupId: text, ...profileFields })
  .register(apiComponents, { id: 'GroupProfile' });

/** A topic's current profile. */
export const TopicProfileSchema = z
  .object({ kind: z.literal('topic'), topicId: text, groupId: text, ...profileFields })
  .register(apiComponents, { id: 'TopicProfile' });

/** `GET /api/groups/{groupId}`: the group and its topics. */
export const GroupDetailSchema = GroupProfileSchema.extend({ topics: z.array(TopicProfileSchema) }).register(
  apiComponents,
  { id: 'GroupDetail' },
);

export const GroupPageSchema = z
  .object({ groups: z.array(GroupProfileSchema), next: maybe(seq).describe('Pass as before') })
  .register(apiComponents, { id: 'GroupPage' });

export const TopicPageSchema = z
  .object({ topics: z.array(TopicProfileSchema), next: maybe(seq).describe('Pass as before') })
  .register(apiComponents, { id: 'TopicPage' });

/** One refused callback: never the token, the Sign or the body. */
export const RefusalSchema = z
  .object({
    at: ms,
    code: text,
    errorCode: z.int(),
    status: z.int(),
    message: text,
    command: maybe(text),
    sdkAppId: maybe(text),
    clientIp: maybe(text),
    remoteAddress: maybe(text),
  })
  .register(apiComponents, { id: 'Refusal' });

export const RefusalsSchema = z
  .object({ refusals: z.array(RefusalSchema) })
  .register(apiComponents, { id: 'Refusals' });

export const RateSchema = z
  .object({
    since: ms,
    until: ms,
    bucketMs: z.int(),
    total: z.int().min(0),
    refused: z.int().min(0),
    buckets: z.array(z.object({ start: ms, count: z.int().min(0), refused: z.int().min(0) })),
  })
  .register(apiComponents, { id: 'Rate' });

/** One relay sink (docs/relay.md). */
export const SinkStatusSchema = z
  .object({
    sink: text,
    type: maybe(text),
    phase: maybe(
      z.enum(['starting', 'delivering', 'idle', 'retrying', 'unreachable', 'disabled', 'standby', 'stopped']),
    ),
    cursor: seq,
    lastSeq: seq,
    lagEvents: z.int().min(0),
    lagSeconds: z.number().min(0),
    delivered: z.int().min(0),
    deadLetters: z.int().min(0),
    redrivePending: z.int().min(0),
    disabled: z.boolean(),
    disabledReason: maybe(text),
    disabledAt: maybe(ms),
    lastError: maybe(text),
    lastErrorAt: maybe(ms),
    lastDeliveredAt: maybe(ms),
    nextAttemptAt: maybe(ms),
    leaseOwner: maybe(text),
  })
  .register(apiComponents, { id: 'SinkStatus' });

export const RelayStatusSchema = z
  .object({ sinks: z.array(SinkStatusSchema) })
  .register(apiComponents, { id: 'RelayStatus' });

export const DeadLetterSchema = z
  .object({
    seq,
    attempts: z.int().min(0),
    error: text,
    firstFailedAt: ms,
    failedAt: ms,
    redrive: z.boolean(),
  })
  .register(apiComponents, { id: 'DeadLetter' });

export const SinkDetailSchema = SinkStatusSchema.extend({
  letters: z.array(DeadLetterSchema).describe('The first 100 dead letters, oldest first'),
}).register(apiComponents, { id: 'SinkDetail' });

export const DeadLetterPageSchema = z
  .object({ deadLetters: z.array(DeadLetterSchema), next: maybe(seq).describe('Pass as after') })
  .register(apiComponents, { id: 'DeadLetterPage' });

export const RedrivenSchema = z
  .object({ sink: text, redriven: z.int().min(0) })
  .register(apiComponents, { id: 'Redriven' });

/** Where a reconciliation pass stands (README "Complete profiles"). */
export const ReconcilePassSchema = z
  .object({
    id: text,
    status: z.enum(['running', 'done', 'failed']),
    trigger: text,
    startedAt: ms,
    finishedAt: maybe(ms),
    phase: z.enum(['groups', 'sweep', 'done']),
    pageCursor: text,
    pageDone: z.int().min(0),
    total: maybe(z.int().min(0)),
    scanned: z.int().min(0),
    swept: z.int().min(0),
    topicsScanned: z.int().min(0),
    drifted: z.int().min(0),
    fixed: z.int().min(0),
    filled: z.int().min(0),
    vanished: z.int().min(0),
    failed: z.int().min(0),
    error: maybe(text),
    resumed: z.int().min(0),
  })
  .register(apiComponents, { id: 'ReconcilePass' });

export const ReconcileStatusSchema = z
  .object({ configured: z.boolean(), running: z.boolean(), pass: maybe(ReconcilePassSchema) })
  .register(apiComponents, { id: 'ReconcileStatus' });

export const ReconcileStartedSchema = z
  .object({ started: z.boolean(), pass: ReconcilePassSchema })
  .register(apiComponents, { id: 'ReconcileStarted' });

/** Every refusal of the JSON API: a stable code and a message for people. */
export const ApiErrorSchema = z
  .object({ error: z.object({ code: text, message: text }) })
  .register(apiComponents, { id: 'Error' });

export const HealthSchema = z.object({ status: z.literal('ok') }).register(apiComponents, { id: 'Health' });

export const ReadySchema = z
  .object({ status: z.literal('ready'), lastSeq: seq })
  .register(apiComponents, { id: 'Ready' });

export const NotReadySchema = z
  .object({
    status: z.enum(['stopping', 'log unavailable']),
    fault: z.enum(['disk_full', 'io_error', 'file_gone', 'unreachable']).exactOptional(),
    error: text.exactOptional(),
  })
  .register(apiComponents, { id: 'NotReady' });

/** The answer every callback gets, in the Chat envelope (docs/protocol.md §1). */
export const CallbackAnswerSchema = z
  .object({ ActionStatus: z.enum(['OK', 'FAIL']), ErrorInfo: text, ErrorCode: z.int() })
  .register(apiComponents, { id: 'CallbackAnswer' });

/** `GET /api/openapi.json`: this document (its own shape is OpenAPI 3.1's). */
export const OpenApiDocumentSchema = z
  .looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.record(text, z.looseObject({})) })
  .register(apiComponents, { id: 'OpenApiDocument' });
