import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { RecordedEvent } from '../../src/store/index.js';
import { createHarness, POLL } from '../server/support.js';
import {
  declareSinks,
  expectAllInOrder,
  expectOutageSurvived,
  FAST_RETRY,
  FAST_TIMING,
  NATS_PORT,
  type Received,
  readLog,
  relayAction,
  sendChanges,
  sinkStatus,
  startTcpProxy,
  type TcpProxy,
  uniqueName,
} from './support.js';

const harness = createHarness();
let nc: NatsConnection;
let jsm: JetStreamManager;
let stream: string;
let proxy: TcpProxy | null = null;

// A missing NATS server fails here: these tests never skip.
beforeEach(async () => {
  nc = await connect({ servers: `127.0.0.1:${NATS_PORT}` });
  jsm = await jetstreamManager(nc);
  stream = uniqueName('timhook_test');
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
});

afterEach(async () => {
  await harness.cleanup();
  await proxy?.close();
  proxy = null;
  await jsm.streams.delete(stream).catch(() => {});
  await nc.close();
});

function natsSink(port: number, extra: Record<string, unknown> = {}) {
  return {
    name: 'nats',
    type: 'nats',
    servers: `nats://127.0.0.1:${port}`,
    subject: `${stream}.{kind}.{groupId}`,
    timeoutMs: 2_000,
    retry: FAST_RETRY,
    ...extra,
  };
}

interface StoredMessage extends Received {
  subject: string;
}

/** Every message in the test's stream, in stream order. */
async function readStream(): Promise<StoredMessage[]> {
  const info = await jsm.streams.info(stream);
  const messages: StoredMessage[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const message = await jsm.streams.getMessage(stream, { seq });
    if (!message) continue;
    messages.push({
      subject: message.subject,
      id: message.header.get('Nats-Msg-Id'),
      event: message.json<RecordedEvent>(),
    });
  }
  return messages;
}

it('publishes every change once, in log order, to its subject, with Nats-Msg-Id set to the message id', async () => {
  const recorder = await harness.start({
    sinks: declareSinks([natsSink(NATS_PORT)]),
    relayTiming: FAST_TIMING,
  });
  await sendChanges(recorder, 80);
  const logged = await readLog(recorder);
  await vi.waitFor(async () => expect((await jsm.streams.info(stream)).state.messages).toBe(80), POLL);
  const messages = await readStream();
  expect(expectAllInOrder(messages, logged)).toBe(0);
  // One connection keeps the whole log's order, not only each group's.
  expect(messages.map((m) => m.event.seq)).toEqual(logged.map((e) => e.seq));
  for (const message of messages) {
    expect(message.subject).toBe(`${stream}.group.${message.event.groupId}`);
    expect(message.event).toEqual(logged.find((e) => e.seq === message.event.seq));
  }
});

it('lets JetStream drop the re-sends of a replay: the ids are the same, the stream keeps one copy', async () => {
  const recorder = await harness.start({
    sinks: declareSinks([natsSink(NATS_PORT)]),
    relayTiming: FAST_TIMING,
  });
  await sendChanges(recorder, 20);
  await vi.waitFor(async () => expect((await sinkStatus(recorder, 'nats')).delivered).toBe(20), POLL);

  const replay = await relayAction(recorder, 'nats', 'replay', { from: 1 });
  expect(replay.status).toBe(200);
  await vi.waitFor(async () => expect((await sinkStatus(recorder, 'nats')).delivered).toBe(40), POLL);
  expect((await jsm.streams.info(stream)).state.messages).toBe(20);
});

it(
  'publishes every change, in order per group, when the NATS server goes away mid-stream and comes back',
  {
    timeout: 60_000,
  },
  async () => {
    proxy = await startTcpProxy(NATS_PORT);
    const recorder = await harness.start({
      sinks: declareSinks([natsSink(proxy.port)]),
      relayTiming: FAST_TIMING,
    });
    await expectOutageSurvived(recorder, 'nats', proxy, readStream);
  },
);

it('counts a publish no stream captures as a failure, and dead-letters it after the limit', async () => {
  const recorder = await harness.start({
    sinks: declareSinks([natsSink(NATS_PORT, { subject: `${stream}_uncaptured.{groupId}` })]),
    relayTiming: FAST_TIMING,
  });
  await sendChanges(recorder, 2, { groups: 1 });
  await vi.waitFor(async () => expect((await sinkStatus(recorder, 'nats')).deadLetters).toBe(2), POLL);
  const status = await sinkStatus(recorder, 'nats');
  expect(status.letters[0]!.error).toMatch(/no JetStream stream captures the subject/);
  expect(status.letters.map((l) => l.attempts)).toEqual([FAST_RETRY.maxAttempts, FAST_RETRY.maxAttempts]);
});
