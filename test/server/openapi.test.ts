import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { createRestClient } from '../../src/rest/index.js';
import { createRestSource, type Recorder } from '../../src/server/index.js';
import {
  type ChangeLog,
  openChangeLog,
  StoreUnavailableError,
  type StoreStatus,
} from '../../src/store/index.js';
import { readSeed } from '../fixtures/seeds.js';
import {
  declareSinks,
  FAST_RETRY,
  FAST_TIMING,
  newWebhookSecret,
  sinkStatus,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../relay/support.js';
import {
  createDocumentChecker,
  type DocumentChecker,
  type Exchange,
  type OpenApiDocument,
} from './openapi-check.js';
import {
  type Answer,
  APP_ID,
  createHarness,
  type EventStream,
  groupChange,
  OK,
  POLL,
  request,
  sendCallback,
  topicChange,
} from './support.js';

// One set of recorders serves every test here: the exchanges are made once, then judged.
const harness = createHarness();
const receivers: WebhookReceiver[] = [];
let emulator: Emulator | undefined;
afterAll(async () => {
  await harness.cleanup();
  for (const receiver of receivers.splice(0)) await receiver.stop();
  await emulator?.stop();
});

const API_TOKEN = 'openapi-test-api-token';
const AUTH = { authorization: `Bearer ${API_TOKEN}` };
const PUBLIC_HOST = 'timhook.test';
const G1 = '@TGS#2J4SZEAEL';
const G2 = '@TGS#2OPENAPIG2';
const C1 = '@TGS#_@TGS#OPENAPICOMM';
const T1 = `${C1}@TOPIC#_@TOPIC#ONE`;
const T2 = `${C1}@TOPIC#_@TOPIC#TWO`;
const enc = encodeURIComponent;
/** Not valid URL encoding: the id in the path cannot be read. */
const BAD_ID = '%E0%A4%A';

const EMULATOR_APP_ID = 1400000777;
const EMULATOR_SECRET = 'openapi-test-secret-key';
const ADMIN = 'administrator';

/** Every exchange with a recorder, in order. */
const exchanges: Exchange[] = [];
let checker: DocumentChecker;
let main: Recorder;

/** Makes one request, keeps the exchange, and checks the status is the one the test meant to cause. */
async function call(
  recorder: Recorder,
  method: string,
  url: string,
  expected: number,
  options: { headers?: Record<string, string>; body?: unknown; rawBody?: string; auth?: boolean } = {},
): Promise<Exchange> {
  const headers: Record<string, string> = { ...(options.auth === false ? {} : AUTH), ...options.headers };
  const text = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const answer =
    headers.host !== undefined
      ? await rawRequest(recorder, method, url, headers, text)
      : await request(recorder, url, { method, headers, ...(text !== undefined ? { body: text } : {}) });
  const exchange: Exchange = {
    method,
    url,
    answer,
    ...(options.body !== undefined ? { body: options.body } : {}),
  };
  exchanges.push(exchange);
  expect(answer.status, `${method} ${url}: ${answer.text.slice(0, 300)}`).toBe(expected);
  return exchange;
}

/** One request over node:http, which sends the `Host` it is given (fetch sends its own). */
function rawRequest(
  recorder: Recorder,
  method: string,
  url: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<Answer> {
  const { port } = new URL(recorder.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path: url, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (typeof value === 'string') answerHeaders.set(name, value);
        }
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: answerHeaders, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends a callback and keeps the exchange (the callback endpoint is in the document too). */
async function callback(
  recorder: Recorder,
  body: string | Record<string, unknown>,
  expected: number,
  options: Parameters<typeof sendCallback>[2] = {},
): Promise<void> {
  const answer = await sendCallback(recorder, body, options);
  const url = new URL(recorder.callbackUrl);
  // The names of the query `sendCallback` sends (their values do not matter to the document).
  exchanges.push({
    method: 'POST',
    url: `${url.pathname}?SdkAppid=${APP_ID}&CallbackCommand=x&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI&Sign=x&RequestTime=1`,
    ...(typeof body === 'string' ? {} : { body }),
    answer,
  });
  expect(answer.status, answer.text).toBe(expected);
}

/** The callbacks of the data set: creates, changes, a late change, destroys, a duplicate, refusals. */
async function recordDataSet(recorder: Recorder): Promise<void> {
  const now = Date.now();
  await callback(
    recorder,
    {
      CallbackCommand: 'Group.CallbackAfterCreateGroup',
      GroupId: C1,
      Type: 'Community',
      Owner_Account: 'owner',
      Operator_Account: 'admin',
      Name: 'Club',
      EventTime: now - 10_000,
    },
    200,
  );
  await callback(recorder, readSeed('group-info-changed-both'), 200);
  await callback(recorder, groupChange(G1, { Name: 'Renamed', EventTime: now }, 'alice'), 200);
  // Older than the rename, arriving after it: logged, its Name superseded.
  await callback(recorder, groupChange(G1, { Name: 'Stale', EventTime: now - 60_000 }, 'bob'), 200);
  await callback(
    recorder,
    {
      CallbackCommand: 'Group.CallbackAfterCreateTopic',
      GroupId: C1,
      TopicId: T1,
      Type: 'Community',
      Name: 'General',
    },
    200,
  );
  await callback(
    recorder,
    topicChange(C1, T1, { Introduction: 'About', Notification: 'Read me' }, 'alice'),
    200,
  );
  await callback(recorder, topicChange(C1, null, { Name: 'Unknown topic' }), 200);
  await callback(recorder, JSON.parse(readSeed('topic-info-changed')) as Record<string, unknown>, 200);
  await callback(
    recorder,
    {
      CallbackCommand: 'Group.CallbackAfterCreateTopic',
      GroupId: C1,
      TopicId: T2,
      Type: 'Community',
      Name: 'Two',
    },
    200,
  );
  await callback(
    recorder,
    {
      CallbackCommand: 'Group.CallbackAfterTopicDestroyed',
      GroupId: C1,
      TopicIdList: [T2],
      Type: 'Community',
    },
    200,
  );
  await callback(recorder, groupChange(G2, { Name: 'Second', FaceUrl: 'https://example.com/2.png' }), 200, {
    optPlatform: 'Web',
  });
  await callback(
    recorder,
    {
      CallbackCommand: 'Group.CallbackAfterGroupDestroyed',
      GroupId: G2,
      Type: 'Public',
      Owner_Account: 'owner',
    },
    200,
  );
  // A re-delivery: answered OK, not logged twice.
  await callback(recorder, groupChange(G2, { Name: 'Second', FaceUrl: 'https://example.com/2.png' }), 200, {
    optPlatform: 'Web',
  });
  // Refusals, each in the callback's envelope (and kept in /api/refusals).
  await callback(recorder, groupChange(G1, { Name: 'x' }), 401, { sign: 'not-the-sign' });
  await callback(recorder, groupChange(G1, { Name: 'x' }), 403, { sdkAppId: '1400000001' });
  await callback(recorder, groupChange('', { Name: 'x' }), 422);
  await callback(recorder, '{not json', 400, { command: 'Group.CallbackAfterGroupInfoChanged' });
  await callback(recorder, groupChange(G1, { Name: 'x'.repeat(70_000) }), 413);
}

/** A sink name that no sink has. */
const NO_SINK = 'no-such-sink';

/** Every operation of the API on the main recorder: answers, refusals and errors. */
async function callMainRoutes(recorder: Recorder): Promise<void> {
  const R = recorder;
  await call(R, 'GET', '/api/events', 200);
  await call(R, 'GET', '/api/events?limit=2&order=desc', 200);
  await call(
    R,
    'GET',
    `/api/events?groupId=${enc(G1)}&kind=group&field=Name&search=renamed&since=0&until=${Date.now() + 1000}`,
    200,
  );
  await call(
    R,
    'GET',
    '/api/events?after=2&command=Group.CallbackAfterGroupInfoChanged&operator=alice&optPlatform=RESTAPI',
    200,
  );
  await call(R, 'GET', `/api/events?before=5&topicId=${enc(T1)}`, 200);
  await call(R, 'GET', '/api/events?limit=0', 400);
  await call(R, 'GET', '/api/groups', 200);
  await call(R, 'GET', '/api/groups?limit=1&before=100', 200);
  await call(R, 'GET', '/api/groups?before=x', 400);
  await call(R, 'GET', `/api/groups/${enc(G1)}`, 200);
  await call(R, 'GET', `/api/groups/${enc(C1)}`, 200);
  await call(R, 'GET', `/api/groups/${enc(G2)}`, 200);
  await call(R, 'GET', `/api/groups/${enc('@TGS#NEVERSEEN')}`, 404);
  await call(R, 'GET', `/api/groups/${BAD_ID}`, 400);
  await call(R, 'GET', `/api/groups/${enc(G1)}/history`, 200);
  await call(
    R,
    'GET',
    `/api/groups/${enc(C1)}/history?limit=3&after=0&field=Name&search=club&kind=topic`,
    200,
  );
  await call(R, 'GET', `/api/groups/${enc(G1)}/history?order=sideways`, 400);
  await call(R, 'GET', `/api/groups/${enc(C1)}/topics`, 200);
  await call(R, 'GET', `/api/groups/${enc(C1)}/topics?limit=1&before=100`, 200);
  await call(R, 'GET', `/api/groups/${enc(C1)}/topics?limit=5000`, 400);
  await call(R, 'GET', `/api/topics/${enc(T1)}`, 200);
  await call(R, 'GET', `/api/topics/${enc(T2)}`, 200);
  await call(R, 'GET', `/api/topics/${enc(`${C1}@TOPIC#_@TOPIC#NONE`)}`, 404);
  await call(R, 'GET', `/api/topics/${BAD_ID}`, 400);
  await call(R, 'GET', `/api/topics/${enc(T1)}/history`, 200);
  await call(
    R,
    'GET',
    `/api/topics/${enc(T1)}/history?limit=1&before=100&operator=alice&field=Introduction`,
    200,
  );
  await call(R, 'GET', `/api/topics/${enc(T1)}/history?since=yesterday`, 400);
  await call(R, 'GET', '/api/refusals', 200);
  await call(R, 'GET', '/api/stats/rate', 200);
  await call(
    R,
    'GET',
    `/api/stats/rate?bucket=1000&since=${Date.now() - 60_000}&until=${Date.now() + 1000}`,
    200,
  );
  await call(R, 'GET', '/api/stats/rate?bucket=10', 400);
  await call(R, 'GET', '/api/export', 200);
  await call(R, 'GET', `/api/export?format=jsonl&groupId=${enc(C1)}`, 200);
  await call(R, 'GET', '/api/export?format=xml', 400);
  await call(R, 'GET', '/api/stream?limit=0', 400);
  await call(R, 'GET', '/api/stream', 400, { headers: { 'last-event-id': 'not-a-seq' } });
  await call(R, 'GET', '/api/openapi.json', 200);
  await call(R, 'GET', '/metrics', 200);
  await call(R, 'GET', '/healthz', 200, { auth: false });
  await call(R, 'GET', '/readyz', 200, { auth: false });
  await call(R, 'GET', '/api/reconcile', 200);
  await call(R, 'POST', '/api/reconcile', 409);

  await call(R, 'GET', '/api/relay', 200);
  await call(R, 'GET', '/api/relay/failing', 200);
  await call(R, 'GET', '/api/relay/gone', 200);
  await call(R, 'GET', `/api/relay/${NO_SINK}`, 404);
  await call(R, 'GET', `/api/relay/${BAD_ID}`, 400);
  await call(R, 'GET', '/api/relay/failing/dead-letters', 200);
  await call(R, 'GET', '/api/relay/failing/dead-letters?limit=2&after=1', 200);
  await call(R, 'GET', '/api/relay/failing/dead-letters?limit=0', 400);
  await call(R, 'GET', `/api/relay/${NO_SINK}/dead-letters`, 404);
  await call(R, 'POST', '/api/relay/ok/replay', 200, { body: { from: 3 } });
  await call(R, 'POST', '/api/relay/ok/replay', 200, { body: { since: new Date(0).toISOString() } });
  await call(R, 'POST', '/api/relay/ok/replay', 400, { body: { from: 0 } });
  await call(R, 'POST', '/api/relay/ok/replay', 400, { rawBody: '{from' });
  await call(R, 'POST', '/api/relay/ok/replay', 413, {
    rawBody: JSON.stringify({ from: 1, pad: 'x'.repeat(5000) }),
  });
  await call(R, 'POST', `/api/relay/${NO_SINK}/replay`, 404, { body: { from: 1 } });
  await call(R, 'POST', '/api/relay/failing/redrive', 200);
  await call(R, 'POST', '/api/relay/failing/redrive', 400, { rawBody: '[1]' });
  await call(R, 'POST', `/api/relay/${NO_SINK}/redrive`, 404);
  await call(R, 'POST', '/api/relay/failing/redrive', 413, { rawBody: 'x'.repeat(5000) });
  await call(R, 'POST', '/api/relay/gone/enable', 200);
  await call(R, 'POST', '/api/relay/gone/enable', 400, { rawBody: 'null' });
  await call(R, 'POST', `/api/relay/${NO_SINK}/enable`, 404);
  await call(R, 'POST', '/api/relay/gone/enable', 413, { rawBody: 'x'.repeat(5000) });
}

/**
 * Refusals every operation can meet: no API token (401), a `Host` that does not name the service
 * (403), a write from another site (403), and a method the route does not take (405).
 */
async function callRefusals(recorder: Recorder): Promise<void> {
  const secured = checker
    .operations()
    .map((op) => op.split(' ') as [string, string])
    .filter(
      ([, path]) =>
        !['/healthz', '/readyz'].includes(path) && !path.startsWith(new URL(recorder.callbackUrl).pathname),
    );
  for (const [method, path] of secured) {
    const url = path.replace('{groupId}', enc(G1)).replace('{topicId}', enc(T1)).replace('{sink}', 'ok');
    await call(recorder, method, url, 401, { auth: false });
    await call(recorder, method, url, 403, { headers: { host: PUBLIC_HOST.replace('test', 'evil') } });
    if (method === 'POST')
      await call(recorder, method, url, 403, { headers: { origin: 'https://evil.example' } });
    const other = ['POST', 'GET', 'PUT'].find((m) => !checker.operations().includes(`${m} ${path}`))!;
    await call(recorder, other, url, 405);
  }
}

/** A change log that can be made to refuse writes, as a full disk would. */
function faultableLog(inner: ChangeLog): { log: ChangeLog; fail(): void } {
  let fault: StoreStatus = { state: 'ok' };
  const refused = (): Promise<never> | undefined =>
    fault.state === 'fault'
      ? Promise.reject(new StoreUnavailableError('disk_full', fault.message))
      : undefined;
  const writesFirst = (query: { groupId?: string; search?: string; field?: string }) =>
    query.groupId !== undefined || query.search || query.field !== undefined ? refused() : undefined;
  return {
    log: {
      append: async (entries) => {
        if (fault.state === 'fault') throw new StoreUnavailableError('disk_full', fault.message);
        return inner.append(entries);
      },
      waiting: () => inner.waiting(),
      onCommit: (listener) => inner.onCommit(listener),
      drain: () => inner.drain(),
      // As the SQLite log: the reads that first write what waits behind the OK (profiles, a
      // group's events, a search by name, a field's events) fail with the disk.
      listEvents: (query) => writesFirst(query) ?? inner.listEvents(query),
      listRendered: (query) => writesFirst(query) ?? inner.listRendered(query),
      getProfile: (kind, id) => refused() ?? inner.getProfile(kind, id),
      listProfiles: (query) => refused() ?? inner.listProfiles(query),
      stats: () => inner.stats(),
      countByTime: (query) => inner.countByTime(query),
      watch: (listener) => inner.watch(listener),
      health: { status: () => fault, onChange: () => () => {} },
      close: () => inner.close(),
    },
    fail() {
      fault = {
        state: 'fault',
        fault: 'disk_full',
        message: 'the disk is full: the event was not recorded',
        lasting: false,
        since: Date.now(),
        cause: new Error('ENOSPC'),
      };
    },
  };
}

/** A recorder whose mirror reconciles against an emulator: `/api/reconcile` starts a real pass. */
async function startMirroredRecorder(): Promise<Recorder> {
  emulator = createEmulator({ sdkAppId: EMULATOR_APP_ID, secretKey: EMULATOR_SECRET, admins: [ADMIN] });
  await emulator.start();
  const rest = createRestClient({
    sdkAppId: EMULATOR_APP_ID,
    identifier: ADMIN,
    secretKey: EMULATOR_SECRET,
    baseUrl: emulator.url,
    retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50 },
    timeoutMs: 2000,
  });
  return harness.start({
    sdkAppId: EMULATOR_APP_ID,
    apiToken: API_TOKEN,
    db: `${harness.dir}/mirrored.db`,
    mirror: { source: createRestSource(rest), restCounts: () => rest.metrics(), close: () => rest.close() },
  });
}

/** A stream's frames, read until `done` says enough; kept as an exchange too. */
async function readFrames(
  stream: EventStream,
  url: string,
  done: (frames: Array<{ event: string; data: string }>) => boolean,
): Promise<{ status: number; frames: Array<{ event: string; data: string }> }> {
  exchanges.push({
    method: 'GET',
    url,
    answer: { status: stream.status, headers: stream.headers, text: '', json: undefined },
  });
  const frames: Array<{ event: string; data: string }> = [];
  while (!done(frames)) {
    const text = await stream.next();
    if (text === null) break;
    const event = /^event: (.*)$/m.exec(text)?.[1];
    const data = /^data: (.*)$/m.exec(text)?.[1];
    if (event !== undefined && data !== undefined) frames.push({ event, data });
  }
  stream.close();
  return { status: stream.status, frames };
}

let streamed: Awaited<ReturnType<typeof readFrames>>;
let progress: Awaited<ReturnType<typeof readFrames>>;

beforeAll(async () => {
  const env = { HOOK_SECRET: newWebhookSecret() };
  const ok = await startWebhookReceiver();
  const failing = await startWebhookReceiver(() => ({ status: 500 }));
  const gone = await startWebhookReceiver(() => ({ status: 410 }));
  receivers.push(ok, failing, gone);
  const sink = (name: string, receiver: WebhookReceiver) => ({
    name,
    type: 'http',
    url: receiver.url,
    secretEnv: 'HOOK_SECRET',
    retry: FAST_RETRY,
  });
  main = await harness.start({
    apiToken: API_TOKEN,
    publicHosts: [PUBLIC_HOST],
    sinks: declareSinks([sink('ok', ok), sink('failing', failing), sink('gone', gone)], env),
    relayTiming: FAST_TIMING,
  });
  const document = await request(main, '/api/openapi.json', { headers: AUTH });
  expect(document.status).toBe(200);
  checker = createDocumentChecker(document.json as OpenApiDocument);

  await recordDataSet(main);
  const lastSeq = ((await (await fetch(`${main.url}/readyz`)).json()) as { lastSeq: number }).lastSeq;
  await vi.waitFor(async () => {
    expect((await sinkStatus(main, 'ok', API_TOKEN)).cursor).toBe(lastSeq);
    expect((await sinkStatus(main, 'failing', API_TOKEN)).deadLetters).toBe(lastSeq);
    expect((await sinkStatus(main, 'gone', API_TOKEN)).disabled).toBe(true);
  }, POLL);
  await callMainRoutes(main);
  await callRefusals(main);
  const replay = await harness.stream(main, '?after=0', AUTH);
  streamed = await readFrames(replay, '/api/stream?after=0', (frames) => frames.length >= lastSeq);

  const mirrored = await startMirroredRecorder();
  await call(mirrored, 'GET', '/api/reconcile', 200);
  const live = await harness.stream(mirrored, '', AUTH);
  await call(mirrored, 'POST', '/api/reconcile', 202);
  progress = await readFrames(live, '/api/stream', (frames) => frames.some((f) => f.event === 'reconcile'));
  await vi.waitFor(async () => {
    const status = await request(mirrored, '/api/reconcile', { headers: AUTH });
    expect((status.json as { running: boolean }).running).toBe(false);
  }, POLL);
  await call(mirrored, 'GET', '/api/reconcile', 200);

  const faulty = faultableLog(await openChangeLog({ db: `${harness.dir}/faulty.db`, durability: 'full' }));
  const failingDisk = await harness.start({ log: faulty.log });
  faulty.fail();
  await call(failingDisk, 'GET', '/readyz', 503, { auth: false });
  await callback(failingDisk, groupChange(G1, { Name: 'lost' }), 503);
  for (const path of [
    '/api/events?search=lost',
    '/api/groups',
    `/api/groups/${enc(G1)}`,
    `/api/groups/${enc(G1)}/history`,
    `/api/groups/${enc(C1)}/topics`,
    `/api/topics/${enc(T1)}`,
    `/api/topics/${enc(T1)}/history?search=lost`,
  ]) {
    await call(failingDisk, 'GET', path, 503);
  }
}, 60_000);

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1', () => {
    expect(checker.doc.openapi).toMatch(/^3\.1\./);
  });

  it('describes every real answer: route, method, status, content type and body', () => {
    const problems = exchanges.flatMap((exchange) =>
      checker
        .check(exchange)
        .problems.map(
          (problem) => `${exchange.method} ${exchange.url} → ${exchange.answer.status}: ${problem}`,
        ),
    );
    expect(problems).toEqual([]);
  });

  it('describes the events of the stream and of a JSON-lines export as recorded events', () => {
    expect(streamed.status).toBe(200);
    const changes = streamed.frames.filter((f) => f.event === 'change');
    expect(changes.length).toBeGreaterThan(10);
    for (const frame of changes)
      expect(checker.validateComponent('RecordedEvent', JSON.parse(frame.data))).toEqual([]);
    const reconcile = progress.frames.filter((f) => f.event === 'reconcile');
    expect(reconcile.length).toBeGreaterThan(0);
    for (const frame of reconcile)
      expect(checker.validateComponent('ReconcilePass', JSON.parse(frame.data))).toEqual([]);
    const jsonl = exchanges.find((e) => e.url.startsWith('/api/export?format=jsonl'))!;
    const lines = jsonl.answer.text.split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines)
      expect(checker.validateComponent('RecordedEvent', JSON.parse(line))).toEqual([]);
  });

  it('lists no status a route cannot answer: each was answered at least once', () => {
    const seen = new Set(
      exchanges.flatMap((exchange) => {
        const landing = checker.check(exchange).landing;
        return landing?.response ? [`${landing.method} ${landing.path} ${landing.response}`] : [];
      }),
    );
    const unanswered = checker
      .operations()
      .flatMap((op) => {
        const [method, path] = op.split(' ') as [string, string];
        return checker
          .responses(method, path)
          .filter((key) => key !== 'default')
          .map((key) => `${op} ${key}`);
      })
      .filter((key) => !seen.has(key));
    expect(unanswered).toEqual([]);
  });

  it('lists every route the recorder serves, and no other', () => {
    const callbackPath = new URL(main.callbackUrl).pathname;
    expect(checker.operations().sort()).toEqual(
      [
        `POST ${callbackPath}`,
        'GET /api/events',
        'GET /api/groups',
        'GET /api/groups/{groupId}',
        'GET /api/groups/{groupId}/history',
        'GET /api/groups/{groupId}/topics',
        'GET /api/topics/{topicId}',
        'GET /api/topics/{topicId}/history',
        'GET /api/stream',
        'GET /api/refusals',
        'GET /api/export',
        'GET /api/stats/rate',
        'GET /api/openapi.json',
        'GET /api/reconcile',
        'POST /api/reconcile',
        'GET /api/relay',
        'GET /api/relay/{sink}',
        'GET /api/relay/{sink}/dead-letters',
        'POST /api/relay/{sink}/enable',
        'POST /api/relay/{sink}/redrive',
        'POST /api/relay/{sink}/replay',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
      ].sort(),
    );
  });

  it('answers every path it lists: none is a 404 "no route"', () => {
    const noRoute = exchanges
      .filter(
        (e) =>
          e.answer.status === 404 &&
          (e.answer.json as { error?: { message?: string } }).error?.message?.startsWith('no route'),
      )
      .map((e) => `${e.method} ${e.url}`);
    expect(noRoute).toEqual([]);
  });

  it.each([
    ['GET', '/api/event'],
    ['GET', '/api/groups/x/members'],
    ['GET', `/api/topics/${enc(T1)}/topics`],
    ['GET', '/api/openapi'],
    ['POST', '/api/relay/ok/y/z'],
    ['GET', '/api/stats'],
  ])('answers %s %s, a path next to its routes, with 404 "no route"', async (method, path) => {
    const answer = await request(main, path, { method, headers: AUTH });
    expect(answer).toMatchObject({
      status: 404,
      json: { error: { code: 'not_found', message: `no route ${path}` } },
    });
    expect(checker.check({ method, url: path, answer }).problems).toEqual([
      'no path of the document matches',
    ]);
  });

  it('answers its callbacks in the Chat envelope', () => {
    const answers = exchanges
      .filter((e) => e.url.startsWith(new URL(main.callbackUrl).pathname))
      .map((e) => e.answer.json);
    expect(answers).toContainEqual(OK);
    expect(answers.length).toBeGreaterThan(15);
  });
});
