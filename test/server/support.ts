import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCallbackUrl, computeSign } from '../../src/protocol/index.js';
import { createRecorder, type Recorder, type RecorderOptions, silentLogger } from '../../src/server/index.js';
import {
  type ChangeLog,
  type GroupCommitOptions,
  openSqliteChangeLog,
  type RecordedEvent,
} from '../../src/store/index.js';
import { type HeldCommits, holdCommits } from '../store/held-commits.js';

export const APP_ID = '1400000000';
export const TOKEN = 'recorder-test-token';
export const GROUP_CHANGED = 'Group.CallbackAfterGroupInfoChanged';
export const TOPIC_CHANGED = 'Group.CallbackAfterTopicInfoChanged';
export const OK = { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 };
/** How `vi.waitFor` polls for a condition: often, with a deadline well inside the test timeout. */
export const POLL = { timeout: 10_000, interval: 10 };

/** Recorders, streams, sockets and temp folders of one test, all released by `cleanup`. */
export interface Harness {
  /** This test's temp folder (created on first use). */
  readonly dir: string;
  /** The default database file in `dir`. */
  readonly dbPath: string;
  /** Creates and starts a recorder on a free loopback port, with this test's database. */
  start(options?: Partial<RecorderOptions>): Promise<Recorder>;
  /** Opens `/api/stream` (with `query`) and keeps it to close after the test. */
  stream(recorder: Recorder, query?: string, headers?: Record<string, string>): Promise<EventStream>;
  /** Releases `socket` after the test. */
  own(socket: Socket): Socket;
  /** Runs `release` after the test (before recorders stop). */
  defer(release: () => void): void;
  cleanup(): Promise<void>;
}

/** Call once per test file; `afterEach(() => harness.cleanup())`. */
export function createHarness(): Harness {
  let dir: string | null = null;
  const recorders: Recorder[] = [];
  const streams: EventStream[] = [];
  const sockets: Socket[] = [];
  const deferred: Array<() => void> = [];
  const harness: Harness = {
    get dir() {
      dir ??= mkdtempSync(join(tmpdir(), 'timhook-server-'));
      return dir;
    },
    get dbPath() {
      return join(harness.dir, 'timhook.db');
    },
    async start(options = {}) {
      const recorder = await createRecorder({
        sdkAppId: APP_ID,
        tokens: [TOKEN],
        port: 0,
        db: harness.dbPath,
        logger: silentLogger,
        ...options,
      });
      recorders.push(recorder);
      await recorder.start();
      return recorder;
    },
    async stream(recorder, query = '', headers = {}) {
      const stream = await openStream(`${recorder.url}/api/stream${query}`, headers);
      streams.push(stream);
      return stream;
    },
    own(socket) {
      sockets.push(socket);
      return socket;
    },
    defer(release) {
      deferred.push(release);
    },
    async cleanup() {
      for (const release of deferred.splice(0)) release();
      for (const stream of streams.splice(0)) stream.close();
      for (const socket of sockets.splice(0)) socket.destroy();
      await Promise.all(recorders.splice(0).map((recorder) => recorder.stop()));
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = null;
    },
  };
  return harness;
}

/** An HTTP answer: status, headers, text, and the text parsed when it is JSON. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

async function toAnswer(response: Response): Promise<Answer> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** How a test callback is sent; by default correctly signed now, from `RESTAPI`. */
export interface SendOptions {
  command?: string;
  token?: string;
  /** Unix seconds. Default now. */
  requestTime?: number;
  /** Sends this Sign instead of the right one. */
  sign?: string;
  sdkAppId?: string;
  optPlatform?: string;
  clientIp?: string;
  /** Aborts the request (e.g. at the IM backend's 2 s timeout). */
  signal?: AbortSignal;
}

/** POSTs a signed callback to the recorder; the command defaults to the body's `CallbackCommand`. */
export async function sendCallback(
  recorder: Pick<Recorder, 'callbackUrl'>,
  body: string | Record<string, unknown>,
  options: SendOptions = {},
): Promise<Answer> {
  const rawBody = typeof body === 'string' ? body : JSON.stringify(body);
  const command = options.command ?? (JSON.parse(rawBody) as { CallbackCommand: string }).CallbackCommand;
  const requestTime = options.requestTime ?? Math.floor(Date.now() / 1000);
  const url = buildCallbackUrl(recorder.callbackUrl, {
    sdkAppId: options.sdkAppId ?? APP_ID,
    command,
    ...(options.clientIp !== undefined ? { clientIp: options.clientIp } : {}),
    ...(options.optPlatform !== undefined ? { optPlatform: options.optPlatform } : {}),
    sign: { sign: options.sign ?? computeSign(options.token ?? TOKEN, requestTime), requestTime },
  });
  const response = await fetch(url, {
    method: 'POST',
    body: rawBody,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return toAnswer(response);
}

/** GETs `path` from the recorder (or any method, with `init`). */
export async function request(
  recorder: Recorder | string,
  path: string,
  init: RequestInit = {},
): Promise<Answer> {
  const base = typeof recorder === 'string' ? recorder : recorder.url;
  return toAnswer(await fetch(`${base}${path}`, init));
}

/** A `Group.CallbackAfterGroupInfoChanged` body of a `Public` group. */
export function groupChange(groupId: string, fields: Record<string, unknown>, operator = 'leckie') {
  return {
    CallbackCommand: GROUP_CHANGED,
    GroupId: groupId,
    Type: 'Public',
    Operator_Account: operator,
    ...fields,
  };
}

/** A `Group.CallbackAfterTopicInfoChanged` body; `topicId` null leaves `TopicId` out, as documented. */
export function topicChange(
  groupId: string,
  topicId: string | null,
  fields: Record<string, unknown>,
  operator = 'leckie',
) {
  return {
    CallbackCommand: TOPIC_CHANGED,
    GroupId: groupId,
    ...(topicId !== null ? { TopicId: topicId } : {}),
    Type: 'Community',
    Operator_Account: operator,
    ...fields,
  };
}

/** The value of one Prometheus series (`name{label="v"}`) in a scrape; undefined when absent. */
export function metricValue(scrape: string, series: string): number | undefined {
  const line = scrape.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Scrapes `/metrics` and reads one series (0 when the series has not appeared yet). */
export async function readMetric(recorder: Recorder, series: string): Promise<number> {
  const answer = await request(recorder, '/metrics');
  return metricValue(answer.text, series) ?? 0;
}

/** One `event: change` frame of the stream. */
export interface ChangeFrame {
  id: number;
  event: RecordedEvent;
  /** The frame exactly as sent, without its closing blank line. */
  text: string;
}

/** The frame the recorder must send for `event`. */
export function expectedFrame(event: unknown): string {
  const seq = (event as { seq: number }).seq;
  return `id: ${seq}\nevent: change\ndata: ${JSON.stringify(event)}`;
}

/** A `/api/stream` connection read frame by frame. */
export interface EventStream {
  status: number;
  headers: Headers;
  /** The next frame (text up to its blank line), or null once the server has ended the stream. */
  next(): Promise<string | null>;
  /** The next `count` change frames, skipping comments and `retry:`; throws if the stream ends first. */
  changes(count: number): Promise<ChangeFrame[]>;
  close(): void;
}

/** Opens an SSE stream with `fetch` and splits what arrives into frames at each blank line. */
export async function openStream(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let ended = false;

  async function next(): Promise<string | null> {
    for (;;) {
      const at = buffer.indexOf('\n\n');
      if (at >= 0) {
        const frame = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        return frame;
      }
      if (ended) return null;
      const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done) ended = true;
      else buffer += decoder.decode(chunk.value, { stream: true });
    }
  }

  return {
    status: response.status,
    headers: response.headers,
    next,
    async changes(count) {
      const frames: ChangeFrame[] = [];
      while (frames.length < count) {
        const text = await next();
        if (text === null) throw new Error(`the stream ended after ${frames.length} of ${count} changes`);
        if (!text.startsWith('id: ')) continue;
        const dataLine = text.split('\n').find((line) => line.startsWith('data: '));
        frames.push({
          id: Number(text.slice(4, text.indexOf('\n'))),
          event: JSON.parse(dataLine!.slice(6)) as RecordedEvent,
          text,
        });
      }
      return frames;
    },
    close() {
      controller.abort();
    },
  };
}

/** A SQLite log on `path` whose commits a test can hold, to play a slow or stalled disk. */
export function openHeldLog(
  path: string,
  groupCommit: GroupCommitOptions = {},
): HeldCommits & { log: ChangeLog } {
  const held = holdCommits();
  const log = openSqliteChangeLog({
    path,
    groupCommit: { ...groupCommit, wrapCommitter: held.wrapCommitter },
  });
  return { ...held, log };
}
