import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { isAlive, loggedNames, readyz, sendNamed, startRecorder, tempDir } from './support.js';

const cleanups: Array<() => void | Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Sends `count` callbacks named `prefix-n`; resolves with the names answered OK. */
async function sendSome(url: string, prefix: string, count: number): Promise<string[]> {
  const acknowledged: string[] = [];
  for (let n = 0; n < count; n++) {
    const answer = await sendNamed(url, `${prefix}-${n}`, 500);
    if (answer.ActionStatus === 'OK') acknowledged.push(`${prefix}-${n}`);
  }
  return acknowledged;
}

it('refuses every callback once the database folder is deleted, says so on /readyz, and stays up', async () => {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const recorder = await startRecorder(join(dir.path, 'data', 'gone.db'));
  cleanups.push(recorder.stop);
  expect(await sendSome(recorder.url, 'before', 10)).toHaveLength(10);

  rmSync(join(dir.path, 'data'), { recursive: true });
  expect(await sendSome(recorder.url, 'deleted', 30)).toEqual([]);
  const answer = await sendNamed(recorder.url, 'deleted-last', 500);
  expect(answer).toMatchObject({ status: 503, ActionStatus: 'FAIL', ErrorCode: 50302 });
  expect(answer.ErrorInfo).toMatch(/database file was deleted or replaced; restart timhook/);
  expect(await readyz(recorder.url)).toMatchObject({
    status: 503,
    body: { status: 'log unavailable', fault: 'file_gone' },
  });
  expect(isAlive(recorder.serve)).toBe(true);
  expect(recorder.serve.stderr().match(/"msg":"the change log cannot be written/g)).toHaveLength(1);
});

it('refuses once the database folder is moved away, and the moved file holds every callback answered OK', async () => {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const recorder = await startRecorder(join(dir.path, 'data', 'moved.db'));
  cleanups.push(recorder.stop);
  const acknowledged = await sendSome(recorder.url, 'before', 10);
  expect(acknowledged).toHaveLength(10);

  renameSync(join(dir.path, 'data'), join(dir.path, 'elsewhere'));
  // Whatever is answered OK after the move must be in the moved file: at most the batch in flight.
  const afterMove = await sendSome(recorder.url, 'moved', 30);
  expect(afterMove).toEqual([]);
  expect((await readyz(recorder.url)).body).toMatchObject({ fault: 'file_gone' });
  expect(isAlive(recorder.serve)).toBe(true);

  await recorder.stop();
  const again = await startRecorder(join(dir.path, 'elsewhere', 'moved.db'));
  cleanups.push(again.stop);
  const logged = new Set(await loggedNames(again.url));
  expect(acknowledged.filter((name) => !logged.has(name))).toEqual([]);
});
