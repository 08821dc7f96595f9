import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Recorder } from '../../src/server/index.js';
import { type ChangeLog, openSqliteChangeLog, type RecordedEvent } from '../../src/store/index.js';
import { groupChanged, G1 as STORE_G1 } from '../store/entries.js';
import {
  createHarness,
  expectedFrame,
  groupChange,
  OK,
  POLL,
  readMetric,
  request,
  sendCallback,
  topicChange,
} from './support.js';

const harness = createHarness();
afterEach(() => harness.cleanup());

const G1 = '@TGS#2J4SZEAEL';
const G2 = '@TGS#2OTHERGRP';
const C1 = '@TGS#_@TGS#COMMUNITY1';

async function apiEvents(recorder: Recorder, query = ''): Promise<RecordedEvent[]> {
  return ((await request(recorder, `/api/events?limit=1000${query}`)).json as { events: RecordedEvent[] })
    .events;
}

async function sendNames(recorder: Recorder, groupId: string, names: string[]): Promise<void> {
  for (const name of names) {
    expect((await sendCallback(recorder, groupChange(groupId, { Name: name }))).json).toEqual(OK);
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/**
 * A log whose stream replay stops before the page that starts after `pauseAfter`, until the test
 * resumes it: a deterministic way to commit live events in the middle of a replay.
 */
function pausableReplay(inner: ChangeLog, pauseAfter: number) {
  let reached!: () => void;
  let resume!: () => void;
  const paused = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const resumed = new Promise<void>((resolve) => {
    resume = resolve;
  });
  let armed = true;
  const log: ChangeLog = {
    append: (entries) => inner.append(entries),
    waiting: () => inner.waiting(),
    onCommit: (listener) => inner.onCommit(listener),
    drain: () => inner.drain(),
    listEvents: (query) => inner.listEvents(query),
    getProfile: (kind, id) => inner.getProfile(kind, id),
    async listRendered(query) {
      if (armed && query.after === pauseAfter) {
        armed = false;
        reached();
        await resumed;
      }
      return inner.listRendered(query);
    },
    watch: (listener) => inner.watch(listener),
    listProfiles: (query) => inner.listProfiles(query),
    stats: () => inner.stats(),
    countByTime: (query) => inner.countByTime(query),
    close: () => inner.close(),
  };
  return { log, paused, resume };
}

/** A log already holding `count` events (seq 1..count), written straight to the file. */
async function prefilledLog(path: string, count: number): Promise<ChangeLog> {
  const log = openSqliteChangeLog({ path });
  const entries = await Promise.all(range(1, count).map((i) => groupChanged(STORE_G1, { Name: `old-${i}` })));
  await log.append(entries);
  return log;
}

describe('GET /api/stream', () => {
  it('starts with retry and sends each change as exactly id, event and data lines', async () => {
    const recorder = await harness.start();
    await sendNames(recorder, G1, ['Before']);
    const stream = await harness.stream(recorder, '?after=0');
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers.get('cache-control')).toBe('no-store');
    expect(await stream.next()).toBe('retry: 2000');
    const [replayed] = await apiEvents(recorder);
    const frame = await stream.next();
    expect(frame).toBe(expectedFrame(replayed));
    expect(frame).toBe(`id: 1\nevent: change\ndata: ${JSON.stringify(replayed)}`);

    await sendNames(recorder, G1, ['Live']);
    const live = (await apiEvents(recorder))[1]!;
    expect(live.diff).toEqual([{ field: 'Name', from: 'Before', to: 'Live' }]);
    expect(await stream.next()).toBe(expectedFrame(live));
  });

  it('sends a live event and its later replay as the same bytes', async () => {
    const recorder = await harness.start();
    const live = await harness.stream(recorder);
    expect(await live.next()).toBe('retry: 2000');
    await sendCallback(
      recorder,
      topicChange(C1, null, { Name: 'Unknown topic', FaceUrl: 'https://x/y.png' }),
    );
    const [liveFrame] = await live.changes(1);
    const replay = await harness.stream(recorder, '?after=0');
    const [replayFrame] = await replay.changes(1);
    expect(replayFrame!.text).toBe(liveFrame!.text);
  });

  it('sends only new events when no cursor is given', async () => {
    const recorder = await harness.start();
    await sendNames(recorder, G1, ['Old']);
    const stream = await harness.stream(recorder);
    await sendNames(recorder, G1, ['New']);
    const [frame] = await stream.changes(1);
    expect(frame!.id).toBe(2);
  });

  it('replays after ?after= and then goes live', async () => {
    const recorder = await harness.start();
    await sendNames(recorder, G1, ['a', 'b', 'c']);
    const stream = await harness.stream(recorder, '?after=1');
    const replayed = await stream.changes(2);
    const logged = await apiEvents(recorder);
    expect(replayed.map((frame) => frame.text)).toEqual([expectedFrame(logged[1]), expectedFrame(logged[2])]);
    await sendNames(recorder, G1, ['d']);
    const [live] = await stream.changes(1);
    expect(live!.text).toBe(expectedFrame((await apiEvents(recorder))[3]));
  });

  it('has no gap and no duplicate when changes are committed in the middle of a replay', async () => {
    const paused = pausableReplay(await prefilledLog(harness.dbPath, 1000), 500);
    const recorder = await harness.start({ log: paused.log });
    const stream = await harness.stream(recorder, '?after=0');
    await paused.paused;
    // Committed and published while the replay is stopped between its first and second page.
    const answers = await Promise.all(
      range(1, 20).map((i) => sendCallback(recorder, groupChange(G2, { Name: `live-${i}` }))),
    );
    for (const answer of answers) expect(answer.json).toEqual(OK);
    paused.resume();
    const frames = await stream.changes(1020);
    expect(frames.map((frame) => frame.id)).toEqual(range(1, 1020));
    const logged = await apiEvents(recorder, '&after=1000');
    expect(frames.slice(1000).map((frame) => frame.text)).toEqual(logged.map(expectedFrame));
    await sendNames(recorder, G2, ['after the replay']);
    expect((await stream.changes(1))[0]!.id).toBe(1021);
  });

  it('has no gap and no duplicate when callbacks race a long replay', async () => {
    const recorder = await harness.start({ log: await prefilledLog(harness.dbPath, 1000) });
    const opening = harness.stream(recorder, '?after=0');
    const sending = Promise.all(
      range(1, 30).map((i) => sendCallback(recorder, groupChange(G2, { Name: `r-${i}` }))),
    );
    const stream = await opening;
    const frames = await stream.changes(1030);
    await sending;
    expect(frames.map((frame) => frame.id)).toEqual(range(1, 1030));
  });

  it('resumes after Last-Event-ID, which wins over ?after=', async () => {
    const recorder = await harness.start();
    await sendNames(recorder, G1, ['a', 'b', 'c', 'd']);
    const stream = await harness.stream(recorder, '?after=0', { 'last-event-id': '2' });
    expect((await stream.changes(2)).map((frame) => frame.id)).toEqual([3, 4]);
  });

  it('applies the filters of /api/events to the replay and to live events', async () => {
    const recorder = await harness.start();
    await sendNames(recorder, G1, ['g1-a']);
    await sendNames(recorder, G2, ['g2-a']);
    const byGroup = await harness.stream(recorder, `?after=0&groupId=${encodeURIComponent(G2)}`);
    const byKind = await harness.stream(recorder, '?after=0&kind=topic');
    const byOperator = await harness.stream(recorder, '?after=0&operator=zoe');
    await sendNames(recorder, G1, ['g1-b']);
    await sendCallback(recorder, topicChange(C1, null, { Name: 'topic' }, 'zoe'));
    await sendNames(recorder, G2, ['g2-b']);
    expect((await byGroup.changes(2)).map((frame) => frame.event.changes.Name)).toEqual(['g2-a', 'g2-b']);
    expect((await byKind.changes(1)).map((frame) => frame.id)).toEqual([4]);
    expect((await byOperator.changes(1)).map((frame) => frame.id)).toEqual([4]);
    // Nothing else reached the filtered streams: the next frame of each is the next match.
    await sendCallback(recorder, topicChange(C1, null, { Name: 'topic 2' }, 'zoe'));
    expect((await byKind.changes(1))[0]!.id).toBe(6);
    expect((await byOperator.changes(1))[0]!.id).toBe(6);
  });

  it('sends a topic’s stream the destroy of several topics that lists it, in the replay and live', async () => {
    const recorder = await harness.start();
    const t1 = `${C1}@TOPIC#_@TOPIC#ONE`;
    const t2 = `${C1}@TOPIC#_@TOPIC#TWO`;
    const destroy = (topics: string[]) => ({
      CallbackCommand: 'Group.CallbackAfterTopicDestroyed',
      GroupId: C1,
      Type: 'Community',
      TopicIdList: topics,
    });
    await sendCallback(recorder, topicChange(C1, t1, { Name: 'one' }));
    await sendCallback(recorder, destroy([t1, t2]));
    const byTopic = await harness.stream(recorder, `?after=0&topicId=${encodeURIComponent(t2)}`);
    expect((await byTopic.changes(1)).map((frame) => [frame.id, frame.event.topicId])).toEqual([[2, null]]);
    await sendCallback(recorder, topicChange(C1, t1, { Name: 'one again' }));
    await sendCallback(recorder, destroy([t1]));
    await sendCallback(recorder, destroy([`${C1}@TOPIC#_@TOPIC#THREE`, t2]));
    // Only the destroy that lists t2 reaches its stream: the next frame is that one.
    expect((await byTopic.changes(1)).map((frame) => frame.id)).toEqual([5]);
  });

  it('sends heartbeat comments on an idle stream', async () => {
    const recorder = await harness.start({ heartbeatMs: 20 });
    const stream = await harness.stream(recorder);
    expect(await stream.next()).toBe('retry: 2000');
    expect(await stream.next()).toBe(': ping');
    expect(await stream.next()).toBe(': ping');
  });

  it('starts with its headers and retry when the log is slow to answer and the heartbeat is fast', async () => {
    const inner = openSqliteChangeLog({ path: harness.dbPath });
    // A log over a network takes a while to say where it ends; several heartbeats pass meanwhile.
    const slow: ChangeLog = {
      append: (entries) => inner.append(entries),
      waiting: () => inner.waiting(),
      onCommit: (listener) => inner.onCommit(listener),
      drain: () => inner.drain(),
      listEvents: (query) => inner.listEvents(query),
      getProfile: (kind, id) => inner.getProfile(kind, id),
      listRendered: (query) => inner.listRendered(query),
      watch: (listener) => inner.watch(listener),
      listProfiles: (query) => inner.listProfiles(query),
      stats: () => delay(30).then(() => inner.stats()),
      countByTime: (query) => inner.countByTime(query),
      close: () => inner.close(),
    };
    const recorder = await harness.start({ log: slow, heartbeatMs: 1 });
    const stream = await harness.stream(recorder);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(await stream.next()).toBe('retry: 2000');
    expect(await stream.next()).toBe(': ping');
  });

  it.each([
    ['a negative after', '?after=-1', {}, 'after must be a whole number ≥ 0'],
    [
      'after and before together',
      '?after=1&before=3',
      {},
      'give after (oldest first) or before (newest first), not both',
    ],
    ['a bad kind', '?kind=all', {}, 'kind must be group or topic'],
    ['a Last-Event-ID that is no seq', '', { 'last-event-id': 'abc' }, 'Last-Event-ID must be a log seq'],
  ])('refuses %s with 400 before streaming', async (_, query, headers, message) => {
    const recorder = await harness.start();
    const answer = await request(recorder, `/api/stream${query}`, { headers });
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ error: { code: 'bad_parameter', message } });
    expect(recorder.hub.size()).toBe(0);
  });

  it('disconnects a client that does not read, not one that does, instead of buffering without bound', async () => {
    const recorder = await harness.start({ maxStreamBufferBytes: 256 * 1024 });
    const reader = await harness.stream(recorder);
    const readerIds: number[] = [];
    const reading = (async () => {
      for (let frame = await reader.next(); frame !== null; frame = await reader.next()) {
        if (frame.startsWith('id: ')) readerIds.push(Number(frame.slice(4, frame.indexOf('\n'))));
      }
    })();
    const socket = harness.own(connect(Number(new URL(recorder.url).port), '127.0.0.1'));
    await once(socket, 'connect');
    // Never read: no 'data' listener, so once Node's small read buffer is full the kernel's fill too.
    socket.write('GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await vi.waitFor(() => expect(recorder.hub.size()).toBe(2), POLL);
    expect(await readMetric(recorder, 'timhook_sse_clients')).toBe(2);

    // Frames of ~20 KB, a small part of the limit: only a client that stopped reading piles them up.
    const filler = 'x'.repeat(6000);
    let sent = 0;
    while (recorder.hub.size() > 1 && sent < 1000) {
      const answer = await sendCallback(
        recorder,
        groupChange(G1, { Name: `n${sent}`, Notification: filler }),
      );
      expect(answer.json).toEqual(OK);
      sent++;
    }
    expect(recorder.hub.size()).toBe(1);
    expect(sent).toBeGreaterThan(10);
    expect(await readMetric(recorder, 'timhook_sse_clients')).toBe(1);
    // The reading client got every change and is still connected.
    await vi.waitFor(() => expect(readerIds).toHaveLength(sent), POLL);
    expect(readerIds).toEqual(range(1, sent));
    await sendNames(recorder, G2, ['still alive']);
    await vi.waitFor(() => expect(readerIds).toHaveLength(sent + 1), POLL);
    // Once the slow client reads again it finds the end of the connection after what was sent.
    const closed = once(socket, 'close');
    socket.resume();
    await closed;
    reader.close();
    await reading;
  });

  it('ends open streams when the recorder stops', async () => {
    const recorder = await harness.start();
    const stream = await harness.stream(recorder);
    expect(await stream.next()).toBe('retry: 2000');
    await recorder.stop();
    expect(await stream.next()).toBeNull();
  });

  it('resumes from Last-Event-ID across a restart on the same file', async () => {
    const first = await harness.start();
    await sendNames(first, G1, ['a', 'b', 'c']);
    const before = await harness.stream(first, '?after=0');
    const seen = await before.changes(3);
    before.close();
    await first.stop();

    const second = await harness.start();
    await sendNames(second, G1, ['d']);
    const resumed = await harness.stream(second, '', { 'last-event-id': String(seen[2]!.id) });
    const [replayed] = await resumed.changes(1);
    await sendNames(second, G1, ['e']);
    const [live] = await resumed.changes(1);
    const logged = await apiEvents(second);
    expect([replayed!.text, live!.text]).toEqual([expectedFrame(logged[3]), expectedFrame(logged[4])]);
    expect(live!.event.diff).toEqual([{ field: 'Name', from: 'd', to: 'e' }]);
    // The events from before the restart replay as the same bytes the first recorder sent.
    const again = await harness.stream(second, '?after=0');
    expect((await again.changes(3)).map((frame) => frame.text)).toEqual(seen.map((frame) => frame.text));
  });
});
