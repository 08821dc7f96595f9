import { type Channel, type ChannelModel, connect } from 'amqplib';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { RecordedEvent } from '../../src/store/index.js';
import { createHarness, POLL } from '../server/support.js';
import {
  declareSinks,
  expectAllInOrder,
  expectOutageSurvived,
  FAST_RETRY,
  FAST_TIMING,
  RABBITMQ_PORT,
  type Received,
  readLog,
  sendChanges,
  sinkStatus,
  startTcpProxy,
  type TcpProxy,
  uniqueName,
} from './support.js';

const harness = createHarness();
let connection: ChannelModel;
let channel: Channel;
let exchange: string;
let proxy: TcpProxy | null = null;

interface Delivered extends Received {
  routingKey: string;
  persistent: boolean;
  contentType: string | undefined;
}
let delivered: Delivered[];

// A missing RabbitMQ server fails here: these tests never skip. The test owns the exchange and a
// queue bound to it, so it sees every message the sink publishes.
beforeEach(async () => {
  connection = await connect(`amqp://guest:guest@127.0.0.1:${RABBITMQ_PORT}`);
  channel = await connection.createChannel();
  exchange = uniqueName('timhook.test');
  await channel.assertExchange(exchange, 'topic', { durable: false });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, exchange, 'group.#');
  delivered = [];
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      delivered.push({
        id: message.properties.messageId as string,
        event: JSON.parse(message.content.toString()) as RecordedEvent,
        routingKey: message.fields.routingKey,
        persistent: message.properties.deliveryMode === 2,
        contentType: message.properties.contentType as string | undefined,
      });
    },
    { noAck: true },
  );
});

afterEach(async () => {
  await harness.cleanup();
  await proxy?.close();
  proxy = null;
  await channel.deleteExchange(exchange).catch(() => {});
  await connection.close();
});

const ENV = { TEST_RABBIT_PASSWORD: 'guest' };

function rabbitSink(port: number, extra: Record<string, unknown> = {}) {
  return {
    name: 'rabbit',
    type: 'rabbitmq',
    url: `amqp://guest@127.0.0.1:${port}`,
    passwordEnv: 'TEST_RABBIT_PASSWORD',
    exchange,
    routingKey: 'group.{groupId}',
    timeoutMs: 2_000,
    retry: FAST_RETRY,
    ...extra,
  };
}

it('publishes every change once, in log order, with its routing key and messageId, confirmed by the broker', async () => {
  const recorder = await harness.start({
    sinks: declareSinks([rabbitSink(RABBITMQ_PORT)], ENV),
    relayTiming: FAST_TIMING,
  });
  await sendChanges(recorder, 80);
  const logged = await readLog(recorder);
  await vi.waitFor(() => expect(delivered).toHaveLength(80), POLL);
  expect(expectAllInOrder(delivered, logged)).toBe(0);
  expect(delivered.map((m) => m.event.seq)).toEqual(logged.map((e) => e.seq));
  for (const message of delivered) {
    expect(message).toMatchObject({
      routingKey: `group.${message.event.groupId}`,
      persistent: true,
      contentType: 'application/json',
    });
    expect(message.event).toEqual(logged.find((e) => e.seq === message.event.seq));
  }
});

it('counts a publish the broker refuses (no such exchange) as a failure, and dead-letters it after the limit', async () => {
  const recorder = await harness.start({
    sinks: declareSinks([rabbitSink(RABBITMQ_PORT, { exchange: `${exchange}.missing` })], ENV),
    relayTiming: FAST_TIMING,
  });
  await sendChanges(recorder, 2, { groups: 1 });
  await vi.waitFor(async () => expect((await sinkStatus(recorder, 'rabbit')).deadLetters).toBe(2), POLL);
  const status = await sinkStatus(recorder, 'rabbit');
  expect(status.letters[0]!.error).toMatch(/NOT_FOUND|404/);
  expect(status.letters.map((l) => l.attempts)).toEqual([FAST_RETRY.maxAttempts, FAST_RETRY.maxAttempts]);
});

it(
  'publishes every change, in order per group, when the broker goes away mid-stream and comes back',
  {
    timeout: 60_000,
  },
  async () => {
    proxy = await startTcpProxy(RABBITMQ_PORT);
    const recorder = await harness.start({
      sinks: declareSinks([rabbitSink(proxy.port)], ENV),
      relayTiming: FAST_TIMING,
    });
    await expectOutageSurvived(recorder, 'rabbit', proxy, async () => delivered);
  },
);
