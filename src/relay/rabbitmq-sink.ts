import { once } from 'node:events';
import { type ChannelModel, type ConfirmChannel, connect, credentials } from 'amqplib';
import { createAckWindow } from './ack-window.js';
import { type DeliveryOutcome, describeError, type RelayMessage, type Sink } from './sink.js';
import type { RabbitMqSinkSettings, SinkSecrets } from './sink-config.js';
import { compileTemplate, escapeToken } from './template.js';

interface Link {
  connection: ChannelModel;
  channel: ConfirmChannel;
  /** The connection itself dropped (broker down), not just the channel (a refusal). */
  lost: boolean;
  /** Why the broker closed the channel (e.g. 404 NOT_FOUND for a missing exchange). */
  refusal: string | null;
}

/**
 * The RabbitMQ sink: publishes each message to the exchange with its routing key
 * (`group.{groupId}`), persistent, `messageId` set to the message id, on a confirm channel — a
 * message is delivered once the broker confirms it. One channel keeps the order, also across
 * windows (the sink is pipelined): a window is published only after the one before it is written.
 */
export function createRabbitMqSink(settings: RabbitMqSinkSettings, secrets: SinkSecrets): Sink {
  const routingKeyOf = compileTemplate(settings.routingKey, escapeToken);
  let link: Link | null = null;
  let opening: Promise<Link> | null = null;
  let closed = false;
  // The end of the last window's publishing: the next one waits for it (order on the channel).
  let published: Promise<void> = Promise.resolve();

  async function open(): Promise<Link> {
    const url = new URL(settings.url);
    const socketOptions =
      secrets.password !== undefined
        ? {
            credentials: credentials.plain(decodeURIComponent(url.username) || 'guest', secrets.password),
            timeout: settings.timeoutMs,
          }
        : { timeout: settings.timeoutMs };
    const connection = await connect(settings.url, socketOptions);
    const opened: Link = {
      connection,
      channel: null as unknown as ConfirmChannel,
      lost: false,
      refusal: null,
    };
    const drop = () => {
      if (link === opened) link = null;
    };
    const lose = () => {
      opened.lost = true;
      drop();
    };
    connection.on('error', lose);
    connection.on('close', lose);
    try {
      opened.channel = await connection.createConfirmChannel();
      // A channel error (e.g. the exchange does not exist) closes the channel, not the connection.
      opened.channel.on('error', (error: unknown) => {
        opened.refusal = describeError(error);
      });
      opened.channel.on('close', () => {
        drop();
        connection.close().catch(() => {});
      });
      if (settings.exchangeType) {
        await opened.channel.assertExchange(settings.exchange, settings.exchangeType, { durable: true });
      }
    } catch (error) {
      await connection.close().catch(() => {});
      throw error;
    }
    return opened;
  }

  async function current(): Promise<Link> {
    if (link) return link;
    opening ??= open().finally(() => {
      opening = null;
    });
    link = await opening;
    if (closed) await link.connection.close().catch(() => {});
    return link;
  }

  return {
    name: settings.name,
    type: 'rabbitmq',
    pipelined: true,
    async deliver(messages) {
      const before = published;
      let done = () => {};
      published = new Promise((resolve) => (done = resolve));
      try {
        await before;
        return await publish(messages, done);
      } finally {
        done();
      }
    },
    async close() {
      closed = true;
      const open = link ?? (await opening?.catch(() => null)) ?? null;
      link = null;
      if (open) await open.connection.close().catch(() => {});
    },
  };

  /** Publishes `messages` (then calls `written`) and waits for their confirms. */
  async function publish(messages: readonly RelayMessage[], written: () => void): Promise<DeliveryOutcome[]> {
    let used: Link;
    try {
      used = await current();
    } catch (error) {
      const message = describeError(error);
      // Refused at the door (no broker) or by the broker (bad exchange, auth): see which.
      const failure: DeliveryOutcome = isNetworkError(error)
        ? { kind: 'unreachable', message }
        : { kind: 'failed', message };
      return messages.map(() => failure);
    }
    const { channel } = used;
    const acks = createAckWindow(messages.length);
    for (let index = 0; index < messages.length; index++) {
      const message = messages[index]!;
      const { event } = message;
      let fits = true;
      try {
        fits = channel.publish(
          settings.exchange,
          routingKeyOf(message),
          Buffer.from(message.body),
          {
            messageId: message.id,
            persistent: true,
            contentType: 'application/json',
            type: event.command,
            timestamp: Math.floor(event.receivedAt / 1000),
            appId: 'timhook',
          },
          (error: unknown) => (error ? acks.fail(index, error) : acks.ack(index)),
        );
      } catch (error) {
        acks.fail(index, error); // the channel is closed
      }
      // Respect the socket's back-pressure: wait for `drain` (or the end) before writing more.
      if (!fits) await Promise.race([once(channel, 'drain'), once(channel, 'close')]).catch(() => {});
    }
    written();
    await acks.settle(settings.timeoutMs);
    return acks.outcomes((error): DeliveryOutcome => {
      const message = used.refusal ?? describeError(error);
      return used.lost ? { kind: 'unreachable', message } : { kind: 'failed', message };
    });
  }
}

function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}
