import { openSync, closeSync, writeSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { isAlive, loggedNames, mountSmallDisk, readyz, sendNamed, startRecorder } from './support.js';

const cleanups: Array<() => void | Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Fills `path` with `bytes` of zeros, written for real (tmpfs counts pages written). */
function writeBallast(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  for (let written = 0; written < bytes; written += chunk.length) writeSync(fd, chunk);
  closeSync(fd);
}

it('answers FAIL while the disk is full, stays up, says so on /readyz, and records again once space is freed', async () => {
  // The ballast frees far more than the log can fill: the checkpoint that follows the recovery
  // copies the WAL into the database file, and must not fill the disk again.
  const disk = mountSmallDisk(24);
  cleanups.push(disk.remove);
  const ballast = join(disk.path, 'ballast');
  writeBallast(ballast, 20 * 1024 * 1024);
  const db = join(disk.path, 'data', 'full.db');
  const recorder = await startRecorder(db);
  cleanups.push(recorder.stop);

  const acknowledged: string[] = [];
  let refusal = null as Awaited<ReturnType<typeof sendNamed>> | null;
  // Four senders at once, so that batches of several callbacks hit the full disk too.
  let sent = 0;
  const lane = async () => {
    while (!refusal && sent < 1000) {
      const name = `full-${sent++}`;
      const answer = await sendNamed(recorder.url, name, 20_000);
      if (answer.ActionStatus === 'OK') acknowledged.push(name);
      else refusal ??= answer;
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
  expect(acknowledged.length).toBeGreaterThan(10);
  expect(refusal).toMatchObject({ status: 503, ActionStatus: 'FAIL', ErrorCode: 50302 });
  expect(refusal!.ErrorInfo).toMatch(/disk is full/);

  // Still full, for a second (ten checkpoint periods): every try is refused the same way, and the
  // process stays up.
  const fullSince = Date.now();
  for (let n = 0; Date.now() - fullSince < 1000; n++) {
    const answer = await sendNamed(recorder.url, `still-full-${n}`, 20_000);
    expect(answer).toMatchObject({ status: 503, ActionStatus: 'FAIL', ErrorCode: 50302 });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(isAlive(recorder.serve)).toBe(true);
  // A read that must first write what waits behind the OK cannot: it says so, and loses nothing.
  for (const path of [`/api/groups/${encodeURIComponent('@TGS#full-0')}`, '/api/groups']) {
    const read = await fetch(`${recorder.url}${path}`);
    expect([200, 503], `${path}: ${await read.clone().text()}`).toContain(read.status);
    if (read.status === 503)
      expect(await read.json()).toMatchObject({ error: { code: 'store_unavailable' } });
  }
  const notReady = await readyz(recorder.url);
  expect(notReady.status).toBe(503);
  expect(notReady.body).toMatchObject({ status: 'log unavailable', fault: 'disk_full' });

  // Freed: /readyz turns ready by itself, before any callback tries the disk again (a balancer
  // that took the recorder out of rotation sends none).
  rmSync(ballast);
  const freedAt = Date.now();
  while ((await readyz(recorder.url)).status !== 200) {
    expect(Date.now() - freedAt, '/readyz still not ready 10 s after space was freed').toBeLessThan(10_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  let recovered = false;
  for (let n = 0; n < 100 && !recovered; n++) {
    const answer = await sendNamed(recorder.url, `freed-${n}`, 20_000);
    if (answer.ActionStatus === 'OK') {
      acknowledged.push(`freed-${n}`);
      recovered = true;
    } else {
      expect(answer).toMatchObject({ status: 503, ErrorCode: 50302 });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  expect(recovered).toBe(true);
  for (let n = 0; n < 5; n++) {
    const answer = await sendNamed(recorder.url, `after-${n}`, 1000);
    expect(answer.ActionStatus).toBe('OK');
    acknowledged.push(`after-${n}`);
  }
  expect((await readyz(recorder.url)).status).toBe(200);
  const profile = await fetch(`${recorder.url}/api/groups/${encodeURIComponent('@TGS#full-0')}`);
  expect(profile.status).toBe(200);
  const log = recorder.serve.stderr();
  // One line when writing stops, one when it can again. Space the log frees itself while full (a
  // checkpoint truncating the WAL) is real room: it may write, fill and stop again, each time saying
  // so once; what counts is that every stop is followed by its recovery.
  const stops = log.match(/"msg":"the change log cannot be written[^\n]*/g) ?? [];
  const recoveries = log.match(/"msg":"the change log can be written again/g) ?? [];
  expect(stops.length, stops.join('\n')).toBeGreaterThanOrEqual(1);
  expect(recoveries.length, stops.join('\n')).toBe(stops.length);

  await recorder.stop();
  const again = await startRecorder(db);
  cleanups.push(again.stop);
  const logged = new Set(await loggedNames(again.url));
  expect(acknowledged.filter((name) => !logged.has(name))).toEqual([]);
  const groups = await fetch(`${again.url}/api/groups?limit=1000`);
  const listed = new Set(
    ((await groups.json()) as { groups: Array<{ groupId: string }> }).groups.map((g) => g.groupId),
  );
  expect(acknowledged.filter((name) => !listed.has(`@TGS#${name.slice(0, 20)}`))).toEqual([]);
}, 60_000);
