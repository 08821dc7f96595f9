import { afterEach, expect, it } from 'vitest';
import { createLiveHub } from '../../src/server/live-hub.js';
import { createLogFollower } from '../../src/server/log-follower.js';
import { type ChangeLog, openSqliteChangeLog } from '../../src/store/index.js';
import { G1, groupChanged } from '../store/entries.js';

/** A log whose `watch` the test fires by hand, as another instance's NOTIFY would. */
function watchedLog(): { log: ChangeLog; notify: (lastSeq: number) => void } {
  const inner = openSqliteChangeLog({ path: ':memory:' });
  const listeners = new Set<(lastSeq: number) => void>();
  return {
    log: {
      ...inner,
      watch(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    notify: (lastSeq) => {
      for (const listener of listeners) listener(lastSeq);
    },
  };
}

let closing: ChangeLog | null = null;
afterEach(async () => {
  await closing?.close();
});

/** Waits until `seqs` holds `count` numbers (the follower reads the log asynchronously). */
async function until(seqs: number[], count: number): Promise<void> {
  for (let i = 0; i < 200 && seqs.length < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

it('publishes what other instances committed before this one’s commit, in seq order, each once', async () => {
  const { log } = watchedLog();
  closing = log;
  const hub = createLiveHub();
  const seen: number[] = [];
  hub.subscribe((event) => seen.push(event.seq));
  const follower = createLogFollower(log, hub, {
    lastSeq: 0,
    onError: (error) => expect.fail(String(error)),
  });
  // Another instance's commits (1, 2) that this one has not heard of yet, then this one's (3).
  await log.append([await groupChanged(G1, { Name: 'a' }), await groupChanged(G1, { Name: 'b' })]);
  const own = await log.append([await groupChanged(G1, { Name: 'c' })]);
  follower.committed(own);
  await until(seen, 3);
  expect(seen).toEqual([1, 2, 3]);
  // A late notification of what was already published changes nothing.
  follower.committed(own);
  await until(seen, 4);
  expect(seen).toEqual([1, 2, 3]);
  follower.stop();
});

it('reads and publishes another instance’s commits when the log says so, and stops listening on stop', async () => {
  const { log, notify } = watchedLog();
  closing = log;
  const hub = createLiveHub();
  const seen: Array<[number, string]> = [];
  hub.subscribe((event) => seen.push([event.seq, JSON.parse(event.json).changes.Name]));
  const follower = createLogFollower(log, hub, {
    lastSeq: 0,
    onError: (error) => expect.fail(String(error)),
  });
  await log.append([await groupChanged(G1, { Name: 'x' }), await groupChanged(G1, { Name: 'y' })]);
  notify(2);
  await until(seen as unknown as number[], 2);
  expect(seen).toEqual([
    [1, 'x'],
    [2, 'y'],
  ]);
  follower.stop();
  await log.append([await groupChanged(G1, { Name: 'z' })]);
  notify(3);
  await until(seen as unknown as number[], 3);
  expect(seen).toHaveLength(2);
});

it('publishes this instance’s commits at once when nothing lies between', async () => {
  const { log } = watchedLog();
  closing = log;
  const hub = createLiveHub();
  const seen: number[] = [];
  hub.subscribe((event) => seen.push(event.seq));
  const follower = createLogFollower(log, hub, {
    lastSeq: 0,
    onError: (error) => expect.fail(String(error)),
  });
  follower.committed(await log.append([await groupChanged(G1, { Name: 'a' })]));
  expect(seen).toEqual([1]);
  follower.stop();
});
