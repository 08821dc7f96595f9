import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/index.js';
import { readSeed, readSeedJson } from '../fixtures/seeds.js';
import {
  APP_ID,
  createHarness,
  GROUP_CHANGED,
  groupChange,
  openHeldLog,
  OK,
  readMetric,
  request,
  sendCallback,
  TOKEN,
  TOPIC_CHANGED,
  topicChange,
} from './support.js';

const harness = createHarness();
afterEach(() => harness.cleanup());

const G1 = '@TGS#2J4SZEAEL';
const OK_TEXT = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}';

async function events(recorder: Parameters<typeof request>[0], query = ''): Promise<RecordedEvent[]> {
  const answer = await request(recorder, `/api/events?limit=1000${query}`);
  expect(answer.status).toBe(200);
  return (answer.json as { events: RecordedEvent[] }).events;
}

describe('the callback endpoint', () => {
  it('answers a refused callback with the same headers as an accepted one', async () => {
    const recorder = await harness.start();
    const answer = await sendCallback(recorder, readSeed('group-info-changed-both'), {
      sign: '0'.repeat(64),
    });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Number(answer.headers.get('content-length'))).toBe(Buffer.byteLength(answer.text));
  });

  it('answers a signed seed callback with the documented OK and has logged it by then', async () => {
    const recorder = await harness.start();
    const before = Date.now();
    const answer = await sendCallback(recorder, readSeed('group-info-changed-both'));
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(OK_TEXT);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    const logged = await events(recorder);
    expect(logged).toStrictEqual([
      {
        seq: 1,
        receivedAt: expect.any(Number),
        eventTime: null,
        command: GROUP_CHANGED,
        kind: 'group',
        sdkAppId: APP_ID,
        groupId: G1,
        topicId: null,
        groupType: 'Public',
        operator: 'leckie',
        optPlatform: 'RESTAPI',
        clientIp: '127.0.0.1',
        changes: {
          Name: 'NewGroupName',
          Introduction: 'NewIntroduction',
          Notification: 'NewNotification',
          FaceUrl: 'NewFaceUrl',
          customFields: {
            UserDefinedKey1: 'UserDefinedValue1',
            UserDefinedKey2: 'UserDefinedValue2',
            UserDefinedKey3: 'UserDefinedValue3',
          },
        },
        diff: [
          { field: 'Name', from: null, to: 'NewGroupName' },
          { field: 'Introduction', from: null, to: 'NewIntroduction' },
          { field: 'Notification', from: null, to: 'NewNotification' },
          { field: 'FaceUrl', from: null, to: 'NewFaceUrl' },
          { field: 'customFields.UserDefinedKey1', from: null, to: 'UserDefinedValue1' },
          { field: 'customFields.UserDefinedKey2', from: null, to: 'UserDefinedValue2' },
          { field: 'customFields.UserDefinedKey3', from: null, to: 'UserDefinedValue3' },
        ],
        raw: readSeedJson('group-info-changed-both'),
      },
    ]);
    expect(logged[0]!.receivedAt).toBeGreaterThanOrEqual(before);
    expect(logged[0]!.receivedAt).toBeLessThanOrEqual(Date.now());
  });

  it('holds the OK until the commit is done', async () => {
    const held = openHeldLog(harness.dbPath);
    harness.defer(() => held.open());
    const recorder = await harness.start({ log: held.log });
    held.hold();
    let settled = false;
    const answer = sendCallback(recorder, groupChange(G1, { Name: 'Held' })).finally(() => {
      settled = true;
    });
    await held.commitStarted(1);
    // A round trip through the same server: an answer written before the commit would be out by now.
    expect((await request(recorder, '/healthz')).status).toBe(200);
    expect(settled).toBe(false);
    expect(await events(recorder)).toEqual([]);
    held.open();
    expect((await answer).json).toEqual(OK);
    expect((await events(recorder)).map((event) => event.changes.Name)).toEqual(['Held']);
  });

  it('has each of 50 concurrent callbacks in the log by the time its OK arrives', async () => {
    const recorder = await harness.start();
    const checks = Array.from({ length: 50 }, async (_, i) => {
      const answer = await sendCallback(recorder, groupChange(G1, { Name: `name-${i}` }));
      expect(answer.json).toEqual(OK);
      const names = (await events(recorder)).map((event) => event.changes.Name);
      expect(names).toContain(`name-${i}`);
    });
    await Promise.all(checks);
    const seqs = (await events(recorder)).map((event) => event.seq);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('answers a re-delivered callback OK and logs it once', async () => {
    const recorder = await harness.start();
    const body = readSeed('group-info-changed-basic');
    expect((await sendCallback(recorder, body)).json).toEqual(OK);
    // The retry carries a fresh RequestTime and Sign; only the body identifies it.
    const retry = await sendCallback(recorder, body, { requestTime: Math.floor(Date.now() / 1000) - 5 });
    expect(retry.status).toBe(200);
    expect(retry.json).toEqual(OK);
    expect((await events(recorder)).map((event) => event.seq)).toEqual([1]);
    expect(await readMetric(recorder, 'timhook_callbacks_duplicate_total')).toBe(1);
    expect(await readMetric(recorder, `timhook_callbacks_accepted_total{command="${GROUP_CHANGED}"}`)).toBe(
      2,
    );
  });

  it('counts each accepted callback once in /metrics, however often it is scraped', async () => {
    const recorder = await harness.start();
    const accepted = `timhook_callbacks_accepted_total{command="${GROUP_CHANGED}"}`;
    await sendCallback(recorder, readSeed('group-info-changed-basic'));
    expect(await readMetric(recorder, accepted)).toBe(1);
    expect(await readMetric(recorder, accepted)).toBe(1);
    await sendCallback(recorder, readSeed('group-info-changed-both'));
    expect(await readMetric(recorder, accepted)).toBe(2);
  });

  it('refuses a bad Sign with 401 FAIL, logs nothing, and keeps the refusal without the Sign', async () => {
    const recorder = await harness.start();
    const badSign = 'ab'.repeat(32);
    const answer = await sendCallback(recorder, groupChange(G1, { Name: 'Forged' }), { sign: badSign });
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({
      ActionStatus: 'FAIL',
      ErrorInfo: 'Sign does not match any configured token',
      ErrorCode: 40102,
    });
    expect(await events(recorder)).toEqual([]);
    const refusals = await request(recorder, '/api/refusals');
    expect(refusals.status).toBe(200);
    expect(refusals.json).toEqual({
      refusals: [
        {
          at: expect.any(Number),
          code: 'SignMismatch',
          errorCode: 40102,
          status: 401,
          message: 'Sign does not match any configured token',
          command: GROUP_CHANGED,
          sdkAppId: APP_ID,
          clientIp: '127.0.0.1',
          remoteAddress: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/),
        },
      ],
    });
    expect(refusals.text).not.toContain(badSign);
    expect(refusals.text).not.toContain(TOKEN);
    expect(refusals.text).not.toContain('Forged');
  });

  it('lists refusals newest first', async () => {
    const recorder = await harness.start();
    await sendCallback(recorder, groupChange(G1, { Name: 'x' }), { sign: '00' });
    await sendCallback(recorder, groupChange(G1, { Name: 'x' }), { sdkAppId: '1400000001' });
    const refusals = (await request(recorder, '/api/refusals')).json as { refusals: Array<{ code: string }> };
    expect(refusals.refusals.map((refusal) => refusal.code)).toEqual(['SdkAppidMismatch', 'SignMismatch']);
  });

  it('counts accepted callbacks by command and refused ones by reason', async () => {
    const recorder = await harness.start();
    await sendCallback(recorder, groupChange(G1, { Name: 'a' }));
    await sendCallback(recorder, groupChange(G1, { Name: 'b' }));
    await sendCallback(recorder, readSeed('topic-info-changed'));
    await sendCallback(recorder, groupChange(G1, { Name: 'c' }), { sign: '00' });
    await sendCallback(recorder, groupChange(G1, { Name: 'c' }), { requestTime: 1_000_000_000 });
    await sendCallback(recorder, '{"not json', { command: GROUP_CHANGED });
    await sendCallback(recorder, groupChange(G1, { Name: 'c' }), { sdkAppId: '1400000001' });

    const scrape = (await request(recorder, '/metrics')).text;
    const series = (name: string) => scrape.split('\n').find((line) => line.startsWith(`${name} `));
    expect(series(`timhook_callbacks_accepted_total{command="${GROUP_CHANGED}"}`)).toMatch(/ 2$/);
    expect(series(`timhook_callbacks_accepted_total{command="${TOPIC_CHANGED}"}`)).toMatch(/ 1$/);
    for (const reason of ['SignMismatch', 'StaleRequest', 'BodyNotJson', 'SdkAppidMismatch']) {
      expect(series(`timhook_callbacks_refused_total{reason="${reason}"}`)).toMatch(/ 1$/);
    }
    expect(series('timhook_callbacks_duplicate_total')).toBe('timhook_callbacks_duplicate_total 0');
    expect(series('timhook_log_events')).toBe('timhook_log_events 3');
    expect(series('timhook_commit_batch_size_count')).toBe('timhook_commit_batch_size_count 3');
  });

  it('answers a GET on the callback path with 405 in the callback envelope', async () => {
    const recorder = await harness.start();
    const answer = await request(recorder, '/callback');
    expect(answer.status).toBe(405);
    expect(answer.json).toEqual({
      ActionStatus: 'FAIL',
      ErrorInfo: 'GET is not allowed; callbacks are POST',
      ErrorCode: 40501,
    });
  });

  it('serves callbacks on a configured path', async () => {
    const recorder = await harness.start({ path: '/hooks/tim' });
    expect(recorder.callbackUrl).toBe(`${recorder.url}/hooks/tim`);
    expect((await sendCallback(recorder, topicChange(G1, null, { Name: 'x' }))).json).toEqual(OK);
    expect((await request(recorder, '/callback')).status).toBe(404);
  });
});
