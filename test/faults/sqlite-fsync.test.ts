import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import {
  buildFailFsync,
  isAlive,
  loggedNames,
  readyz,
  sendNamed,
  startRecorder,
  tempDir,
} from './support.js';

const cleanups: Array<() => void | Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('refuses every callback after an fsync fails, until restart, without crashing, and keeps every OK', async () => {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const shim = buildFailFsync(dir.path);
  const trigger = join(dir.path, 'fail-now');
  const db = join(dir.path, 'data', 'fsync.db');
  const recorder = await startRecorder(db, { LD_PRELOAD: shim, FAIL_FSYNC_TRIGGER: trigger });
  cleanups.push(recorder.stop);

  const acknowledged: string[] = [];
  for (let n = 0; n < 20; n++) {
    const answer = await sendNamed(recorder.url, `before-${n}`, 2000);
    expect(answer.ActionStatus).toBe('OK');
    acknowledged.push(`before-${n}`);
  }

  writeFileSync(trigger, '');
  // For a second (ten checkpoint periods, each of which fsyncs): refused, and still up.
  const failingSince = Date.now();
  for (let n = 0; Date.now() - failingSince < 1000; n++) {
    const answer = await sendNamed(recorder.url, `failing-${n}`, 2000);
    if (answer.ActionStatus === 'OK') acknowledged.push(`failing-${n}`);
    else expect(answer).toMatchObject({ status: 503, ActionStatus: 'FAIL', ErrorCode: 50302 });
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(isAlive(recorder.serve)).toBe(true);
  const last = await sendNamed(recorder.url, 'failing-last', 2000);
  expect(last).toMatchObject({ status: 503, ActionStatus: 'FAIL', ErrorCode: 50302 });
  expect(last.ErrorInfo).toMatch(/I\/O error; restart timhook/);
  expect(await readyz(recorder.url)).toMatchObject({
    status: 503,
    body: { status: 'log unavailable', fault: 'io_error' },
  });

  // The disk works again, but pages may have been dropped: refused until restart all the same.
  rmSync(trigger);
  const after = await sendNamed(recorder.url, 'after-trigger', 2000);
  expect(after).toMatchObject({ status: 503, ErrorCode: 50302 });
  expect((await readyz(recorder.url)).status).toBe(503);
  expect(isAlive(recorder.serve)).toBe(true);
  expect(recorder.serve.stderr().match(/"msg":"the change log cannot be written/g)).toHaveLength(1);

  await recorder.stop();
  const again = await startRecorder(db);
  cleanups.push(again.stop);
  expect((await sendNamed(again.url, 'restarted', 2000)).ActionStatus).toBe('OK');
  const logged = new Set(await loggedNames(again.url));
  expect(acknowledged.filter((name) => !logged.has(name))).toEqual([]);
}, 30_000);
