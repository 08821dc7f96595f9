import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { createRestClient, type RestClientOptions } from '../../src/rest/index.js';
import {
  createRecorder,
  createRestSource,
  type PassState,
  type Recorder,
  silentLogger,
} from '../../src/server/index.js';

const SDK_APP_ID = 1400000321;
const SECRET_KEY = 'mirror-test-secret-key';
const TOKEN = 'mirror-test-token';
const ADMIN = 'administrator';

let emulator: Emulator | undefined;
let recorder: Recorder | undefined;
let dir: string | undefined;
afterEach(async () => {
  await recorder?.stop();
  await emulator?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  recorder = emulator = dir = undefined;
});

async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  emulator = createEmulator({
    sdkAppId: SDK_APP_ID,
    secretKey: SECRET_KEY,
    admins: [ADMIN, 'someone'],
    callbackToken: TOKEN,
    customFieldKeys: ['Level', 'Tier'],
    ...options,
  });
  await emulator.start();
  return emulator;
}

/** A recorder whose mirror calls `baseUrl` with `client` settings (the emulator's, unless changed). */
async function startRecorder(
  baseUrl: string,
  client: Partial<RestClientOptions> = {},
  reconcileEveryMs: number | null = null,
): Promise<Recorder> {
  dir ??= mkdtempSync(join(tmpdir(), 'timhook-mirror-'));
  const rest = createRestClient({
    sdkAppId: SDK_APP_ID,
    identifier: ADMIN,
    secretKey: SECRET_KEY,
    baseUrl,
    retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
    timeoutMs: 2000,
    ...client,
  });
  recorder = await createRecorder({
    sdkAppId: SDK_APP_ID,
    tokens: [TOKEN],
    port: 0,
    db: join(dir, 'mirror.db'),
    logger: silentLogger,
    mirror: {
      source: createRestSource(rest),
      restCounts: () => rest.metrics(),
      close: () => rest.close(),
      reconcileEveryMs,
    },
  });
  await recorder.start();
  return recorder;
}

async function rest(api: string, body: unknown): Promise<Record<string, unknown>> {
  const sig = emulator!.userSig(ADMIN);
  const url = `${emulator!.url}/v4/${api}?sdkappid=${SDK_APP_ID}&identifier=${ADMIN}&usersig=${sig}&random=1&contenttype=json`;
  const answer = (await (await fetch(url, { method: 'POST', body: JSON.stringify(body) })).json()) as Record<
    string,
    unknown
  >;
  if (answer.ActionStatus !== 'OK') throw new Error(JSON.stringify(answer));
  return answer;
}

async function history(
  groupId: string,
): Promise<Array<{ command: string; operator: string | null; diff: unknown[]; raw: { source?: string } }>> {
  const response = await fetch(
    `${recorder!.url}/api/groups/${encodeURIComponent(groupId)}/history?limit=100`,
  );
  return ((await response.json()) as { events: [] }).events;
}

async function profileOf(groupId: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${recorder!.url}/api/groups/${encodeURIComponent(groupId)}`);
  return ((await response.json()) as { profile: Record<string, unknown> }).profile;
}

async function reconcileOnce(): Promise<PassState> {
  const { done } = recorder!.mirror!.reconcile('test');
  return done;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function restEvents(): Promise<unknown[]> {
  const page = await recorder!.log.listEvents({ limit: 1000 });
  return page.events.filter((event) => event.command.startsWith('timhook.'));
}

describe('first sight', () => {
  it('fills the whole profile of a group that existed before the recorder, once a callback names it', async () => {
    await startEmulator();
    const { GroupId } = await rest('group_open_http_svc/create_group', {
      Type: 'Public',
      Name: 'Ops',
      Introduction: 'the on-call room',
      Notification: 'page before you ping',
      FaceUrl: 'https://example.com/ops.png',
      AppDefinedData: [{ Key: 'Level', Value: '3' }],
    });
    const groupId = GroupId as string;
    await startRecorder(emulator!.url);
    emulator!.configure({ callbackUrl: recorder!.callbackUrl });
    await rest('group_open_http_svc/modify_group_base_info', { GroupId: groupId, Name: 'Ops team' });
    await emulator!.idle();
    await recorder!.mirror!.idle();

    expect(await profileOf(groupId)).toEqual({
      Name: 'Ops team',
      Introduction: 'the on-call room',
      Notification: 'page before you ping',
      FaceUrl: 'https://example.com/ops.png',
      customFields: { Level: '3' },
    });
    const events = await history(groupId);
    const snapshot = events.find((event) => event.command === 'timhook.Snapshot');
    expect(snapshot).toMatchObject({
      operator: null,
      raw: { source: 'rest', api: 'group_open_http_svc/get_group_info' },
    });
    expect(snapshot?.diff).toEqual(
      expect.arrayContaining([
        { field: 'Introduction', from: null, to: 'the on-call room' },
        { field: 'customFields.Level', from: null, to: '3' },
      ]),
    );
    // The callback's own change is kept, not replaced by the (as new) snapshot.
    expect(events.filter((event) => event.command === 'Group.CallbackAfterGroupInfoChanged')).toHaveLength(1);
  });

  it('fills a topic a callback names, and looks a group up only once', async () => {
    await startEmulator();
    const { GroupId } = await rest('group_open_http_svc/create_group', {
      Type: 'Community',
      Name: 'Guild',
      SupportTopic: 1,
    });
    const { TopicId } = await rest('million_group_open_http_svc/create_topic', {
      GroupId,
      TopicName: 'General',
      Introduction: 'say hi',
      Notification: 'be kind',
    });
    await startRecorder(emulator!.url);
    emulator!.configure({ callbackUrl: recorder!.callbackUrl });
    await rest('million_group_open_http_svc/modify_topic', {
      GroupId,
      TopicId,
      FaceUrl: 'https://example.com/t.png',
    });
    await rest('million_group_open_http_svc/modify_topic', {
      GroupId,
      TopicId,
      FaceUrl: 'https://example.com/t2.png',
    });
    await emulator!.idle();
    await recorder!.mirror!.idle();
    const response = await fetch(`${recorder!.url}/api/topics/${encodeURIComponent(TopicId as string)}`);
    expect(((await response.json()) as { profile: unknown }).profile).toEqual({
      Name: 'General',
      Introduction: 'say hi',
      Notification: 'be kind',
      FaceUrl: 'https://example.com/t2.png',
      customFields: {},
    });
    const calls = recorder!.mirror && (await fetch(`${recorder!.url}/metrics`).then((r) => r.text()));
    expect(calls).toMatch(
      /timhook_rest_calls_total\{api="group_open_http_svc\/get_group_info",outcome="ok"\} 1\n/,
    );
    expect(calls).toMatch(
      /timhook_rest_calls_total\{api="million_group_open_http_svc\/get_topic",outcome="ok"\} 1\n/,
    );
  });
});

describe('errors of the REST API', () => {
  async function failedPass(client: Partial<RestClientOptions>, baseUrl?: string): Promise<PassState> {
    await startEmulator();
    await rest('group_open_http_svc/create_group', { Type: 'Public', Name: 'Kept as is' });
    await startRecorder(baseUrl ?? emulator!.url, client);
    const pass = await reconcileOnce();
    expect(pass.status).toBe('failed');
    expect(await restEvents()).toEqual([]);
    return pass;
  }

  it('stops at once with a clear message on a wrong secret key, recording nothing', async () => {
    const pass = await failedPass({ secretKey: 'not-the-app-key' });
    expect(pass.error).toMatch(/70009/);
    expect(pass.error).toMatch(/secret key/);
    const metrics = await fetch(`${recorder!.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(
      /timhook_rest_calls_total\{api="group_open_http_svc\/get_appid_group_list",outcome="fatal"\} 1\n/,
    );
  });

  it('stops at once with a clear message when the identifier is not an app admin', async () => {
    const pass = await failedPass({ identifier: 'not-an-admin' });
    expect(pass.error).toMatch(/60010/);
    expect(pass.error).toMatch(/not an app admin/);
  });

  it('fails the pass with a clear message naming the REST URL when it cannot be reached, and keeps it to resume', async () => {
    const pass = await failedPass({}, `http://127.0.0.1:${await closedPort()}`);
    expect(pass.error).toMatch(
      /get_appid_group_list: could not reach http:\/\/127\.0\.0\.1:\d+ \(the connection failed: ECONNREFUSED\)/,
    );
    expect((await recorder!.mirror!.status()).pass).toMatchObject({ status: 'failed', id: pass.id });
  });

  it('waits out the API’s over-limit answers and still checks every group', async () => {
    await startEmulator({ rateLimits: { get_group_info: 2 } });
    for (let i = 0; i < 120; i++)
      await rest('group_open_http_svc/create_group', { Type: 'Public', Name: `g${i}` });
    // The client believes it may call 1,000 times a second: the emulator answers 60007 past 2.
    await startRecorder(emulator!.url, {
      rateLimits: { 'group_open_http_svc/get_group_info': 1000 },
      retry: { maxAttempts: 10, baseDelayMs: 10, maxDelayMs: 100 },
    });
    const pass = await reconcileOnce();
    expect(pass).toMatchObject({ status: 'done', scanned: 120, filled: 120, failed: 0 });
    const metrics = await fetch(`${recorder!.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(
      /timhook_rest_calls_total\{api="group_open_http_svc\/get_group_info",outcome="over-limit"\} [1-9]/,
    );
  });

  it('counts as failed, and records nothing of, the groups of a call refused past its retries', async () => {
    await startEmulator({ rateLimits: { get_group_info: 1 } });
    for (let i = 0; i < 150; i++)
      await rest('group_open_http_svc/create_group', { Type: 'Public', Name: `g${i}` });
    await startRecorder(emulator!.url, {
      rateLimits: { 'group_open_http_svc/get_group_info': 1000 },
      retry: { maxAttempts: 1 },
    });
    const pass = await reconcileOnce();
    expect(pass.status).toBe('done');
    expect(pass.failed).toBeGreaterThan(0);
    expect(pass.scanned + pass.failed).toBe(150);
    expect(await restEvents()).toHaveLength(pass.filled);
  });
});

describe('a pass and the recorder’s life', () => {
  it('stops between batches when the recorder stops, and the next start resumes it to its end', async () => {
    await startEmulator();
    for (let i = 0; i < 200; i++)
      await rest('group_open_http_svc/create_group', { Type: 'Public', Name: `g${i}` });
    const slow = { rateLimits: { 'group_open_http_svc/get_group_info': 2 } };
    await startRecorder(emulator!.url, slow);
    const stopped = new Promise<PassState>((resolve) => {
      recorder!.mirror!.onProgress((state) => {
        if (state.scanned >= 50) resolve(state);
      });
    });
    const { done } = recorder!.mirror!.reconcile('test');
    const partway = await stopped;
    await recorder!.stop();
    const interrupted = await done;
    expect(interrupted).toMatchObject({ id: partway.id, status: 'running' });
    expect(interrupted.scanned).toBeLessThan(200);

    await startRecorder(emulator!.url, slow);
    const finished = await new Promise<PassState>((resolve) => {
      recorder!.mirror!.onProgress((state) => {
        if (state.status !== 'running') resolve(state);
      });
    });
    expect(finished).toMatchObject({ id: partway.id, status: 'done', scanned: 200, filled: 200, resumed: 1 });
  });
});

it('answers /api/reconcile without REST settings: not configured, and 409 to start a pass', async () => {
  dir = mkdtempSync(join(tmpdir(), 'timhook-mirror-'));
  recorder = await createRecorder({
    sdkAppId: SDK_APP_ID,
    tokens: [TOKEN],
    port: 0,
    db: join(dir, 'plain.db'),
    logger: silentLogger,
  });
  await recorder.start();
  const status = await fetch(`${recorder.url}/api/reconcile`);
  expect(await status.json()).toEqual({ configured: false, running: false, pass: null });
  const start = await fetch(`${recorder.url}/api/reconcile`, { method: 'POST' });
  expect(start.status).toBe(409);
  expect(await start.json()).toEqual({
    error: {
      code: 'no_rest_settings',
      message:
        'reconciliation needs the REST API: start the recorder with --rest-admin, --rest-secret-key and --rest-region or --rest-url',
    },
  });
});

it('shows a pass’s progress on /api/stream as `event: reconcile` frames, the last one its end', async () => {
  await startEmulator();
  for (let i = 0; i < 120; i++)
    await rest('group_open_http_svc/create_group', { Type: 'Public', Name: `g${i}` });
  await startRecorder(emulator!.url, { rateLimits: { 'group_open_http_svc/get_group_info': 1 } });
  const controller = new AbortController();
  const response = await fetch(`${recorder!.url}/api/stream`, { signal: controller.signal });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  expect((await fetch(`${recorder!.url}/api/reconcile`, { method: 'POST' })).status).toBe(202);
  let text = '';
  const frames: Array<{ status: string; scanned: number }> = [];
  while (!frames.some((frame) => frame.status === 'done')) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended: ${text}`);
    text += value;
    const parts = text.split('\n\n');
    text = parts.pop()!;
    for (const part of parts) {
      if (!part.startsWith('event: reconcile\n')) continue;
      expect(part).toMatch(/^event: reconcile\ndata: \{.*\}$/);
      frames.push(
        JSON.parse(part.slice('event: reconcile\ndata: '.length)) as { status: string; scanned: number },
      );
    }
  }
  controller.abort();
  expect(frames[0]).toMatchObject({ status: 'running', scanned: 0 });
  expect(frames.at(-1)).toMatchObject({ status: 'done', scanned: 120 });
  expect(frames.length).toBeGreaterThan(2);
});

it('starts a pass every --reconcile-every, and none meanwhile', async () => {
  await startEmulator();
  await rest('group_open_http_svc/create_group', { Type: 'Public', Name: 'Timed' });
  await startRecorder(emulator!.url, {}, 300);
  const passes: PassState[] = [];
  await new Promise<void>((resolve) => {
    recorder!.mirror!.onProgress((state) => {
      if (state.status === 'done') passes.push(state);
      if (passes.length === 2) resolve();
    });
  });
  expect(passes.map((pass) => pass.trigger)).toEqual(['timer', 'timer']);
  expect(passes[0]!.id).not.toBe(passes[1]!.id);
  expect(passes.map((pass) => [pass.filled, pass.drifted])).toEqual([
    [1, 0],
    [0, 0],
  ]);
});
