import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRecorder, type Recorder, silentLogger } from '../../src/server/index.js';
import { type GroupCommitOptions, openSqliteChangeLog } from '../../src/store/index.js';
import {
  APP_ID,
  createHarness,
  groupChange,
  openHeldLog,
  OK,
  POLL,
  readMetric,
  request,
  sendCallback,
} from './support.js';

const harness = createHarness();
afterEach(() => harness.cleanup());

const G1 = '@TGS#2J4SZEAEL';

async function loggedNames(recorder: Recorder): Promise<unknown[]> {
  const page = (await request(recorder, '/api/events?limit=1000')).json as {
    events: Array<{ changes: { Name?: string } }>;
  };
  return page.events.map((event) => event.changes.Name);
}

/** A recorder on a log whose commits the test holds; released after the test whatever happens. */
async function startHeld(groupCommit: GroupCommitOptions = {}) {
  const held = openHeldLog(harness.dbPath, groupCommit);
  harness.defer(() => held.open());
  const recorder = await harness.start({ log: held.log });
  return { held, recorder };
}

describe('overload', () => {
  it('answers 503 FAIL 50301 at once when the commit queue is full, and logs only what it accepted', async () => {
    const { held, recorder } = await startHeld({ maxQueue: 1, maxWaitMs: 10_000 });
    held.hold();
    const inFlight = sendCallback(recorder, groupChange(G1, { Name: 'in flight' }));
    await held.commitStarted(1);
    const queued = sendCallback(recorder, groupChange(G1, { Name: 'queued' }));
    await vi.waitFor(
      async () => expect(await readMetric(recorder, 'timhook_commit_queue_depth')).toBe(1),
      POLL,
    );

    // Answered while the commit ahead of it is still held: it did not wait for the disk.
    const refused = await sendCallback(recorder, groupChange(G1, { Name: 'refused' }));
    expect(refused.status).toBe(503);
    expect(refused.json).toEqual({
      ActionStatus: 'FAIL',
      ErrorInfo: 'the commit queue is full (1 waiting)',
      ErrorCode: 50301,
    });

    held.open();
    expect((await inFlight).json).toEqual(OK);
    expect((await queued).json).toEqual(OK);
    expect(await loggedNames(recorder)).toEqual(['in flight', 'queued']);
    expect(await readMetric(recorder, 'timhook_callbacks_refused_total{reason="Overloaded"}')).toBe(1);
    const refusals = (await request(recorder, '/api/refusals')).json as { refusals: Array<{ code: string }> };
    expect(refusals.refusals.map((refusal) => refusal.code)).toEqual(['Overloaded']);
  });

  it("answers 503 inside the IM backend's 2 s timeout while a commit is stalled, and recovers", async () => {
    const { held, recorder } = await startHeld({ maxWaitMs: 300 });
    held.hold();
    const inFlight = sendCallback(recorder, groupChange(G1, { Name: 'in flight' }));
    await held.commitStarted(1);

    const waiting = await sendCallback(recorder, groupChange(G1, { Name: 'waiting' }), {
      signal: AbortSignal.timeout(2000),
    });
    expect(waiting.status).toBe(503);
    expect(waiting.json).toEqual({
      ActionStatus: 'FAIL',
      ErrorInfo: 'waited over 300 ms for a commit',
      ErrorCode: 50301,
    });

    held.open();
    expect((await inFlight).json).toEqual(OK);
    expect(await loggedNames(recorder)).toEqual(['in flight']);
    // The IM backend's retry of the refused callback is accepted once the disk keeps up again.
    expect((await sendCallback(recorder, groupChange(G1, { Name: 'waiting' }))).json).toEqual(OK);
    expect(await loggedNames(recorder)).toEqual(['in flight', 'waiting']);
  });
});

describe('stop', () => {
  it('commits and answers OK the callbacks in flight when stop is called', async () => {
    const { held, recorder } = await startHeld();
    held.hold();
    const names = ['one', 'two', 'three', 'four', 'five'];
    const answers = names.map((name) => sendCallback(recorder, groupChange(G1, { Name: name })));
    await held.commitStarted(1);
    await vi.waitFor(async () => {
      const depth = await readMetric(recorder, 'timhook_commit_queue_depth');
      expect(held.calls.flat().length + depth).toBe(names.length);
    }, POLL);

    const stopping = recorder.stop();
    held.open();
    for (const answer of await Promise.all(answers)) expect(answer.json).toEqual(OK);
    await stopping;
    await expect(fetch(`${recorder.url}/healthz`)).rejects.toThrow();

    const reopened = openSqliteChangeLog({ path: harness.dbPath });
    try {
      const page = await reopened.listEvents({ limit: 100 });
      expect(page.events.map((event) => event.changes.Name).sort()).toEqual([...names].sort());
      expect(page.events.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await reopened.close();
    }
  });

  it('can be stopped twice and closes its log', async () => {
    const recorder = await harness.start();
    await sendCallback(recorder, groupChange(G1, { Name: 'x' }));
    await recorder.stop();
    await expect(recorder.stop()).resolves.toBeUndefined();
    await expect(recorder.log.stats()).rejects.toThrow(/not open/);
  });
});

describe('createRecorder', () => {
  it('refuses to start without a callback token', async () => {
    await expect(createRecorder({ sdkAppId: APP_ID, port: 0, db: harness.dbPath })).rejects.toThrow(
      /^\[timhook\] no callback token/,
    );
  });

  it('accepts unsigned callbacks only with insecureNoToken', async () => {
    const recorder = await harness.start({ tokens: [], insecureNoToken: true });
    const answer = await fetch(
      `${recorder.callbackUrl}?SdkAppid=${APP_ID}&CallbackCommand=Group.CallbackAfterGroupInfoChanged`,
      { method: 'POST', body: JSON.stringify(groupChange(G1, { Name: 'unsigned' })) },
    );
    expect(await answer.json()).toEqual(OK);
    expect(await loggedNames(recorder)).toEqual(['unsigned']);
  });

  it.each(['callback', '/api/callback'])('refuses the callback path %s', async (path) => {
    await expect(
      createRecorder({
        sdkAppId: APP_ID,
        tokens: ['t'],
        port: 0,
        db: harness.dbPath,
        path,
        logger: silentLogger,
      }),
    ).rejects.toThrow(/^\[timhook\] the callback path must start with \/ and not be under \/api\//);
  });

  it('opens its log with the group commit settings of `commit`', async () => {
    const recorder = await harness.start({ commit: { maxQueue: 0 } });
    const refused = await sendCallback(recorder, groupChange(G1, { Name: 'refused' }));
    expect(refused.json).toEqual({
      ActionStatus: 'FAIL',
      ErrorInfo: 'the commit queue is full (0 waiting)',
      ErrorCode: 50301,
    });
  });

  it('refuses `commit` beside an open log, which has its own group commit', async () => {
    const log = openSqliteChangeLog({ path: ':memory:' });
    try {
      await expect(
        createRecorder({ sdkAppId: APP_ID, tokens: ['t'], port: 0, log, commit: { maxWaitMs: 300 } }),
      ).rejects.toThrow(/^\[timhook\] `commit` with an open `log`/);
    } finally {
      await log.close();
    }
  });

  it('fails to start on a port that is taken', async () => {
    const first = await harness.start();
    const port = Number(new URL(first.url).port);
    const second = await createRecorder({
      sdkAppId: APP_ID,
      tokens: ['t'],
      port,
      log: openSqliteChangeLog({ path: ':memory:' }),
      logger: silentLogger,
    });
    try {
      await expect(second.start()).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await second.stop();
    }
  });
});
