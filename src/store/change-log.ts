import type { FieldDiff, FieldState, ProfileChange } from '../protocol/index.js';
import type { OBJECT_BODY } from '../protocol/object-bodies.js';
import type { BODY_CHANGES } from './body-changes.js';
import type { StoreHealth } from './store-health.js';

/** One accepted callback, as the store is given it (see `toLogEntry`). */
export interface LogEntry {
  command: string;
  kind: 'group' | 'topic';
  effect: 'change' | 'create' | 'destroy' | 'none';
  sdkAppId: string;
  groupId: string | null;
  topicId: string | null;
  /** Every topic a `TopicDestroyed` closes. */
  topicIds: string[];
  groupType: string | null;
  operator: string | null;
  optPlatform: string | null;
  clientIp: string | null;
  eventTime: number | null;
  receivedAt: number;
  changes: ProfileChange;
  /** The body exactly as received. */
  rawBody: string;
  dedupeKey: string;
  /** `rawBody` again when the receiver parsed it as one JSON object (protocol/object-bodies.ts). */
  [OBJECT_BODY]?: string | undefined;
  /** `changes` again when they were read from the body (store/body-changes.ts). */
  [BODY_CHANGES]?: ProfileChange | undefined;
}

/** A logged change, as the API returns it (docs/recorder.md "API"). */
export interface RecordedEvent {
  seq: number;
  receivedAt: number;
  eventTime: number | null;
  command: string;
  kind: 'group' | 'topic';
  sdkAppId: string;
  groupId: string | null;
  topicId: string | null;
  groupType: string | null;
  operator: string | null;
  optPlatform: string | null;
  clientIp: string | null;
  changes: ProfileChange;
  /** The fields that really changed, from → to. */
  diff: FieldDiff[];
  /** Fields this change carried but lost to a newer `EventTime` (it arrived late). */
  superseded?: string[];
  /** The original Tencent body. */
  raw: unknown;
}

/** What `append` did with one entry: logged it, or found it was a re-delivery of `seq`. */
export type AppendResult =
  | { seq: number; duplicate: false; event: RecordedEvent; rendered: RenderedEvent }
  | { seq: number; duplicate: true };

/**
 * Told of each commit of this process, in commit order, before its appends resolve: the results
 * of every entry it took, and how long it took, ms.
 */
export type CommitListener = (results: readonly AppendResult[], ms: number) => void;

/**
 * A logged change with its API JSON rendered once, when it was logged: the routes, the stream and
 * the relay send `json` as it is, never parsing and re-serialising the event.
 */
export interface RenderedEvent {
  seq: number;
  receivedAt: number;
  command: string;
  kind: 'group' | 'topic';
  groupId: string | null;
  topicId: string | null;
  /** The {@link RecordedEvent}, as JSON text on one line. */
  json: string;
  /** The original Tencent body, exactly as received. */
  raw: string;
}

/** A page of rendered events; `next` as in {@link EventPage}. */
export interface RenderedPage {
  events: RenderedEvent[];
  next: number | null;
}

/** Which events to read, and in which direction. */
export interface EventQuery {
  /** Ascending, events with `seq > after`. */
  after?: number;
  /** Descending, events with `seq < before`. */
  before?: number;
  order?: 'asc' | 'desc';
  limit: number;
  groupId?: string;
  topicId?: string;
  command?: string;
  operator?: string;
  kind?: 'group' | 'topic';
  optPlatform?: string;
  /** `receivedAt` bounds, ms, inclusive. */
  since?: number;
  until?: number;
  /**
   * Only events whose callback carried this field: `Name`, `Introduction`, `Notification`,
   * `FaceUrl`, `customFields.<Key>`, or `customFields` for any custom field.
   */
  field?: string;
  /**
   * Text searched, ignoring case, in the event's group and topic ids and in the current `Name` of its
   * group and of its topic.
   */
  search?: string;
}

/** Which arrivals {@link ChangeLog.countByTime} counts: `receivedAt` in `[since, until)`, per `bucketMs`. */
export interface RateQuery {
  since: number;
  until: number;
  bucketMs: number;
}

/** The events that arrived in `[start, start + bucketMs)`. */
export interface RateBucket {
  start: number;
  count: number;
}

/** A page of events; `next` is the cursor for the following page (`after` or `before`), or null. */
export interface EventPage {
  events: RecordedEvent[];
  next: number | null;
}

/** The current state of one group or topic. */
export interface ProfileView {
  kind: 'group' | 'topic';
  /** The group id, or the topic id. */
  id: string;
  /** The group, or the topic's community. */
  groupId: string;
  groupType: string | null;
  /** `Name`, `Introduction`, `Notification`, `FaceUrl`, `customFields.<Key>`: value and provenance. */
  fields: Record<string, FieldState>;
  createdAt: number | null;
  destroyedAt: number | null;
  firstSeq: number;
  lastSeq: number;
  lastChangedAt: number;
  lastOperator: string | null;
  changeCount: number;
}

/** A page of profiles, most recently changed first; `next` is the `before` cursor. */
export interface ProfilePage {
  items: ProfileView[];
  next: number | null;
}

/** Size of the log. */
export interface LogStats {
  events: number;
  lastSeq: number;
  bytes: number;
}

/**
 * The change log: the single source of truth, from which every read, stream and relay is served.
 * Every method is async so that a networked database can implement it; callers never depend on
 * which one they have.
 */
export interface ChangeLog {
  /**
   * Commits `entries` in one transaction with the appends made meanwhile (group commit: every call
   * that arrives while a commit runs joins the next one): log rows, dedupe keys, projection and
   * diffs. Resolves once they are durable, with one result per entry; callable concurrently. A
   * commit that fails rejects every append it took. Refuses with a `QueueOverloadedError` when too
   * many entries wait, or an append waited too long (`GroupCommitOptions`), and after `close`.
   */
  append(entries: readonly LogEntry[]): Promise<AppendResult[]>;
  /** Entries waiting for a commit. */
  waiting(): number;
  /** Calls `listener` after each commit (see {@link CommitListener}); returns the function that stops it. */
  onCommit(listener: CommitListener): () => void;
  /** Resolves once every append made so far is committed and answered, or refused. */
  drain(): Promise<void>;
  listEvents(query: EventQuery): Promise<EventPage>;
  /** `listEvents`, with each event as its rendered JSON: what the routes, stream and relay send. */
  listRendered(query: EventQuery): Promise<RenderedPage>;
  getProfile(kind: 'group' | 'topic', id: string): Promise<ProfileView | null>;
  /** Groups (or the topics of one community when `groupId` is given), most recently changed first. */
  listProfiles(query: {
    kind: 'group' | 'topic';
    groupId?: string;
    before?: number;
    limit: number;
  }): Promise<ProfilePage>;
  stats(): Promise<LogStats>;
  /**
   * Counts logged events by arrival time, in slices of `bucketMs` from `since`: the non-empty
   * buckets only, oldest first. Read from the log, so it survives restarts.
   */
  countByTime(query: RateQuery): Promise<RateBucket[]>;
  /**
   * Calls `listener` with the newest `seq` whenever another process appended to this log (another
   * recorder on the same PostgreSQL database: LISTEN/NOTIFY), so its streams and relays read the
   * log on. This process's own appends are not reported (their results say it). Returns the
   * function that stops listening. SQLite has one writer: the listener is never called.
   */
  watch(listener: (lastSeq: number) => void): () => void;
  /**
   * Optional: whether the store can write. While it reports a fault, `append` rejects with a
   * `StoreUnavailableError` (the callback endpoint answers 503 FAIL) and `/readyz` is not ready.
   */
  readonly health?: StoreHealth;
  /** Commits and answers the appends made before it, refuses later ones, and closes the store. */
  close(): Promise<void>;
}
