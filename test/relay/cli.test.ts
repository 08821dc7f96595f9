import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { openSqliteRelayState } from '../../src/store/index.js';
import { runCli, tempDir } from '../cli/support.js';
import { createHarness, POLL } from '../server/support.js';
import {
  declareSinks,
  FAST_RETRY,
  FAST_TIMING,
  newWebhookSecret,
  sendChanges,
  sinkStatus,
  startWebhookReceiver,
  type WebhookReceiver,
} from './support.js';

const harness = createHarness();
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  await harness.cleanup();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const ENV = { HOOK_SECRET: newWebhookSecret() };

async function hook(answer = 500): Promise<WebhookReceiver> {
  const receiver = await startWebhookReceiver(() => ({ status: answer }));
  cleanups.push(() => receiver.stop());
  return receiver;
}

/** A recorder whose `failing` sink has dead-lettered `count` changes. */
async function recorderWithDeadLetters(count: number, options: { apiToken?: string } = {}) {
  const failing = await hook(500);
  const recorder = await harness.start({
    sinks: declareSinks(
      [{ name: 'failing', type: 'http', url: failing.url, secretEnv: 'HOOK_SECRET', retry: FAST_RETRY }],
      ENV,
    ),
    relayTiming: FAST_TIMING,
    ...options,
  });
  await sendChanges(recorder, count, { groups: 1 });
  await vi.waitFor(
    async () => expect((await sinkStatus(recorder, 'failing', options.apiToken)).deadLetters).toBe(count),
    POLL,
  );
  return { recorder, failing };
}

it('shows status and replays, re-drives and enables sinks on the database file, with the recorder stopped', async () => {
  const { recorder } = await recorderWithDeadLetters(3);
  await recorder.stop();
  const db = harness.dbPath;

  const status = await runCli(['relay', 'status', '--db', db]);
  expect(status.code).toBe(0);
  const [header, row] = status.stdout.trim().split('\n');
  expect(header).toMatch(
    /^SINK\s+TYPE\s+STATE\s+CURSOR\s+LAG\s+LAG S\s+DELIVERED\s+DEAD LETTERS\s+LAST ERROR$/,
  );
  expect(row).toMatch(
    /^failing\s+-\s+-\s+3\s+0\s+0\.0\s+0\s+3\s+HTTP 500 from http:\/\/127\.0\.0\.1:\d+\/hook \(/,
  );

  const detail = await runCli(['relay', 'status', '--db', db, '--sink', 'failing', '--json']);
  const shown = JSON.parse(detail.stdout) as {
    cursor: number;
    letters: Array<{ seq: number; attempts: number }>;
  };
  expect(shown.cursor).toBe(3);
  expect(shown.letters.map((l) => [l.seq, l.attempts])).toEqual([
    [1, 3],
    [2, 3],
    [3, 3],
  ]);

  expect(await runCli(['relay', 'replay', '--db', db, '--sink', 'failing', '--from', '2'])).toMatchObject({
    code: 0,
    stdout: 'sink failing: delivery goes on after seq 1 (changes already sent go again, same ids)\n',
  });
  expect(await runCli(['relay', 'redrive', '--db', db, '--sink', 'failing'])).toMatchObject({
    code: 0,
    stdout: 'sink failing: 3 dead letters to deliver again\n',
  });
  const state = openSqliteRelayState({ path: db });
  cleanups.push(() => state.close());
  expect(await state.getSink('failing')).toMatchObject({ cursor: 1, redrivePending: 3 });
  await state.setDisabled('failing', 'HTTP 410 Gone', Date.now());
  expect(await runCli(['relay', 'enable', '--db', db, '--sink', 'failing'])).toMatchObject({ code: 0 });
  expect((await state.getSink('failing'))!.disabledAt).toBeNull();
});

it('replays on the database file while the recorder runs: the running relay picks the new cursor up', async () => {
  const ok = await hook(200);
  const recorder = await harness.start({
    sinks: declareSinks([{ name: 'ok', type: 'http', url: ok.url, secretEnv: 'HOOK_SECRET' }], ENV),
    relayTiming: FAST_TIMING,
  });
  await sendChanges(recorder, 3, { groups: 1 });
  await vi.waitFor(() => expect(ok.requests).toHaveLength(3), POLL);
  const replay = await runCli(['relay', 'replay', '--db', harness.dbPath, '--sink', 'ok', '--from', '1']);
  expect(replay.code).toBe(0);
  await vi.waitFor(() => expect(ok.requests).toHaveLength(6), POLL);
  expect(ok.requests.map((r) => r.headers['webhook-id'])).toEqual(
    [1, 2, 3, 1, 2, 3].map((seq) => `1400000000:${seq}`),
  );
});

it('acts through a running recorder’s API with --url, which takes the change in at once', async () => {
  const { recorder, failing } = await recorderWithDeadLetters(2, { apiToken: 'cli-api-token' });
  const api = ['--url', recorder.url];
  const refused = await runCli(['relay', 'status', ...api]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/send Authorization: Bearer/);

  const env = { TIMHOOK_API_TOKEN: 'cli-api-token' };
  const status = await runCli(['relay', 'status', ...api], { env });
  expect(status.stdout).toMatch(/^failing\s+http\s+idle\s+2\s+0\s+0\.0\s+0\s+2\s+/m);
  failing.answer = () => ({ status: 200 });
  const redrive = await runCli(['relay', 'redrive', '--sink', 'failing', ...api], { env });
  expect(redrive).toMatchObject({ code: 0, stdout: 'sink failing: 2 dead letters to deliver again\n' });
  await vi.waitFor(
    async () => expect((await sinkStatus(recorder, 'failing', 'cli-api-token')).deadLetters).toBe(0),
    POLL,
  );
});

it('says what is wrong: no action, no sink, an unknown sink, no database', async () => {
  const dir = tempDir();
  cleanups.push(dir.remove);
  expect(await runCli(['relay'])).toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/status, replay, redrive, enable/),
  });
  expect(await runCli(['relay', 'redrive'])).toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/needs --sink NAME/),
  });
  expect(await runCli(['relay', 'replay', '--sink', 'x'])).toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/--from SEQ or --since TIME/),
  });
  expect(await runCli(['relay', 'status', '--db', join(dir.path, 'none.db')])).toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/no database at/),
  });
  const { recorder } = await recorderWithDeadLetters(1);
  await recorder.stop();
  expect(await runCli(['relay', 'redrive', '--db', harness.dbPath, '--sink', 'nope'])).toMatchObject({
    code: 1,
    stderr: 'timhook relay: no sink named "nope" has run against this database\n',
  });
});

it('refuses to serve with a sink whose secret variable is not set, or whose URL holds a password', async () => {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const config = join(dir.path, 'timhook.config.json');
  const serve = ['serve', '--sdk-appid', '1400000001', '--token', 'tok', '--port', '0', '--config', config];
  writeFileSync(
    config,
    JSON.stringify({
      sinks: [{ name: 'orders', type: 'http', url: 'https://x/h', secretEnv: 'ORDERS_SECRET' }],
    }),
  );
  expect(await runCli(serve)).toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/sink orders: the environment variable ORDERS_SECRET is not set/),
  });
  writeFileSync(
    config,
    JSON.stringify({ sinks: [{ name: 'q', type: 'rabbitmq', url: 'amqp://u:pw@h', exchange: 'x' }] }),
  );
  const refused = await runCli(serve);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/sinks\.0\.url: must not hold a password/);
  expect(refused.stderr).not.toContain('pw@');
});
