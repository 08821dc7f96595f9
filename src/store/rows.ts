import type { AppendResult, LogEntry, ProfileView, RecordedEvent, RenderedEvent } from './change-log.js';

/** An `events` row as SQL drivers return it (snake_case, JSON in text columns). */
export interface EventRow {
  seq: number | string;
  received_at: number | string;
  event_time: number | string | null;
  command: string;
  kind: string;
  sdk_app_id: string;
  group_id: string | null;
  topic_id: string | null;
  group_type: string | null;
  operator: string | null;
  opt_platform: string | null;
  client_ip: string | null;
  changes: string;
  diff: string;
  superseded: string | null;
  raw: string;
}

/** A `profiles` row as SQL drivers return it. */
export interface ProfileRow {
  kind: string;
  id: string;
  group_id: string;
  group_type: string | null;
  fields: string;
  created_at: number | string | null;
  destroyed_at: number | string | null;
  first_seq: number | string;
  last_seq: number | string;
  last_changed_at: number | string;
  last_operator: string | null;
  change_count: number | string;
}

/** Reads an events row into the API's shape. */
export function toRecordedEvent(row: EventRow): RecordedEvent {
  const event: RecordedEvent = {
    seq: Number(row.seq),
    receivedAt: Number(row.received_at),
    eventTime: row.event_time === null ? null : Number(row.event_time),
    command: row.command,
    kind: row.kind as RecordedEvent['kind'],
    sdkAppId: row.sdk_app_id,
    groupId: row.group_id,
    topicId: row.topic_id,
    groupType: row.group_type,
    operator: row.operator,
    optPlatform: row.opt_platform,
    clientIp: row.client_ip,
    changes: JSON.parse(row.changes),
    diff: JSON.parse(row.diff),
    raw: parseRaw(row.raw),
  };
  if (row.superseded) event.superseded = JSON.parse(row.superseded);
  return event;
}

/** Builds the API's shape of an entry just logged, without reading it back. */
export function recordedFromEntry(
  entry: LogEntry,
  seq: number,
  diff: RecordedEvent['diff'],
  superseded: string[],
): RecordedEvent {
  const event: RecordedEvent = {
    seq,
    receivedAt: entry.receivedAt,
    eventTime: entry.eventTime,
    command: entry.command,
    kind: entry.kind,
    sdkAppId: entry.sdkAppId,
    groupId: entry.groupId,
    topicId: entry.topicId,
    groupType: entry.groupType,
    operator: entry.operator,
    optPlatform: entry.optPlatform,
    clientIp: entry.clientIp,
    changes: entry.changes,
    diff,
    raw: parseRaw(entry.rawBody),
  };
  if (superseded.length > 0) event.superseded = superseded;
  return event;
}

/**
 * The JSON of a recorded event without its `raw` body, kept beside the body at append so that a
 * read joins the two ({@link joinRendered}) instead of parsing and re-serialising the event. Null
 * when the body cannot be spliced in as it is: not a JSON object, or not on one line (an SSE
 * `data:` line must not break); such an event is rendered from its columns on read.
 */
export function renderHead(event: RecordedEvent, rawBody: string): string | null {
  if (typeof event.raw !== 'object' || event.raw === null || /[\r\n]/.test(rawBody)) return null;
  const { raw: _raw, ...head } = event;
  return JSON.stringify(head);
}

/** The event's JSON from its head and its body as received (see {@link renderHead}). */
export function joinRendered(head: string, rawBody: string): string {
  return `${head.slice(0, -1)},"raw":${rawBody.trim()}}`;
}

/**
 * The result of an entry logged as `seq`, whose row keeps `stored` (see {@link storedHead}): its
 * rendered JSON joined, and its event parsed, only when first read (by the live stream; most
 * results are only answered). Every result and every rendered event shares one shape, a class: a
 * getter written into each object (an object literal's `get`) gave each its own hidden class,
 * made in the old generation, and cost the recorder a scavenge's promotion of about 2 KB per
 * event. It holds the entry, which it outlives by little, not its projection.
 */
export function loggedResult(entry: LogEntry, seq: number, stored: string, rawInline: boolean): AppendResult {
  return new LoggedResult(seq, new LoggedRendered(entry, seq, stored, rawInline));
}

/** See {@link loggedResult}. */
class LoggedRendered implements RenderedEvent {
  readonly receivedAt: number;
  readonly command: string;
  readonly kind: RenderedEvent['kind'];
  readonly groupId: string | null;
  readonly topicId: string | null;
  readonly raw: string;
  readonly #entry: LogEntry;
  readonly #stored: string;
  readonly #inline: boolean;
  #head: string | undefined;
  #json: string | undefined;

  constructor(
    entry: LogEntry,
    readonly seq: number,
    stored: string,
    inline: boolean,
  ) {
    this.receivedAt = entry.receivedAt;
    this.command = entry.command;
    this.kind = entry.kind;
    this.groupId = entry.groupId;
    this.topicId = entry.topicId;
    this.raw = entry.rawBody;
    this.#entry = entry;
    this.#stored = stored;
    this.#inline = inline;
  }

  /** The event's JSON without its body (see {@link headWithColumns}). */
  get head(): string {
    this.#head ??= headWithColumns(this.#entry, this.seq, this.#stored);
    return this.#head;
  }

  get json(): string {
    this.#json ??= joinHeadAndBody(this.head, this.raw, this.#inline);
    return this.#json;
  }
}

/** See {@link loggedResult}. */
class LoggedResult {
  readonly duplicate = false;
  #event: RecordedEvent | undefined;

  constructor(
    readonly seq: number,
    readonly rendered: LoggedRendered,
  ) {}

  get event(): RecordedEvent {
    this.#event ??= recordedFromHead(this.rendered.head, this.rendered.raw);
    return this.#event;
  }
}

/** Renders a recorded event as the API returns it: one line of JSON, with the body spliced in when it can be. */
export function renderEvent(
  event: RecordedEvent,
  rawBody: string,
  head = renderHead(event, rawBody),
): RenderedEvent {
  return {
    seq: event.seq,
    receivedAt: event.receivedAt,
    command: event.command,
    kind: event.kind,
    groupId: event.groupId,
    topicId: event.topicId,
    json: head === null ? JSON.stringify(event) : joinRendered(head, rawBody),
    raw: rawBody,
  };
}

/**
 * The part of an event's head that its columns do not hold: `{"changes":…,"diff":…}`, with
 * `"superseded":[…]` last when the event lost a field. The SQLite log keeps this in each row since
 * schema version 11, and joins the rest from the columns on read (sqlite/columns.ts HEAD_SQL);
 * {@link headWithColumns} joins it here. `changes` null leaves them out, for a change its body holds
 * (store/body-changes.ts, schema version 13): the head then starts `{"diff":`. One
 * `JSON.stringify` gives the same text as each part serialised and joined, for one call's cost.
 */
export function storedHead(
  changes: RecordedEvent['changes'] | null,
  diff: RecordedEvent['diff'],
  superseded: readonly string[],
): string {
  if (changes === null) return JSON.stringify(superseded.length > 0 ? { diff, superseded } : { diff });
  return JSON.stringify(superseded.length > 0 ? { changes, diff, superseded } : { changes, diff });
}

/** How a {@link storedHead} without `changes` starts. */
export const HEAD_WITHOUT_CHANGES = '{"diff":';

/**
 * The API JSON of `entry` logged as `seq`, without its body (its head, see {@link joinRendered}),
 * from its {@link storedHead}: the same text as `JSON.stringify` of its {@link RecordedEvent}
 * without `raw` (same keys, same order), the JSON parts copied in as they are.
 */
export function headWithColumns(entry: LogEntry, seq: number, stored: string): string {
  const q = JSON.stringify;
  const rest = stored.startsWith(HEAD_WITHOUT_CHANGES)
    ? `"changes":${q(entry.changes)},${stored.slice(1)}`
    : stored.slice(1);
  return (
    `{"seq":${seq},"receivedAt":${entry.receivedAt},"eventTime":${q(entry.eventTime)},"command":${q(entry.command)}` +
    `,"kind":${q(entry.kind)},"sdkAppId":${q(entry.sdkAppId)},"groupId":${q(entry.groupId)}` +
    `,"topicId":${q(entry.topicId)},"groupType":${q(entry.groupType)},"operator":${q(entry.operator)}` +
    `,"optPlatform":${q(entry.optPlatform)},"clientIp":${q(entry.clientIp)},${rest}`
  );
}

/**
 * The event's API JSON from its head and its body as stored: spliced in as it is when `inline`
 * (see {@link isInlineBody}), else parsed and rendered as `JSON.stringify` renders it.
 */
export function joinHeadAndBody(head: string, rawBody: string, inline: boolean): string {
  return joinRendered(head, inline ? rawBody : JSON.stringify(parseRaw(rawBody)));
}

/** The event of a stored head and body: the head parsed, `raw` added last, as the API orders it. */
export function recordedFromHead(head: string, rawBody: string): RecordedEvent {
  const event = JSON.parse(head) as RecordedEvent;
  event.raw = parseRaw(rawBody);
  return event;
}

/**
 * True when `rawBody` can be spliced into an event's JSON as it is: one line, a JSON object or
 * array. `parsed`: it is known to be one JSON object (protocol/object-bodies.ts), and is not parsed.
 */
export function isInlineBody(rawBody: string, parsed = false): boolean {
  // Two scans for a character (memchr) cost less than a regular expression, once per callback.
  if (rawBody.includes('\n') || rawBody.includes('\r')) return false;
  if (parsed) return true;
  const value = parseRaw(rawBody);
  return typeof value === 'object' && value !== null;
}

/** Reads a profiles row. */
export function toProfileView(row: ProfileRow): ProfileView {
  return {
    kind: row.kind as ProfileView['kind'],
    id: row.id,
    groupId: row.group_id,
    groupType: row.group_type,
    fields: JSON.parse(row.fields),
    createdAt: row.created_at === null ? null : Number(row.created_at),
    destroyedAt: row.destroyed_at === null ? null : Number(row.destroyed_at),
    firstSeq: Number(row.first_seq),
    lastSeq: Number(row.last_seq),
    lastChangedAt: Number(row.last_changed_at),
    lastOperator: row.last_operator,
    changeCount: Number(row.change_count),
  };
}

function parseRaw(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
