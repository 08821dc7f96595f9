import { once } from 'node:events';
import { createClient } from 'redis';
import { createAckWindow } from './ack-window.js';
import { type DeliveryOutcome, describeError, type Sink } from './sink.js';
import type { RedisSinkSettings, SinkSecrets } from './sink-config.js';
import { compileTemplate } from './template.js';

/**
 * The Redis Streams sink: `XADD <stream> MAXLEN ~ <maxLen> * id <id> command <command> groupId
 * <groupId> payload <body>` per message. A window's commands are pipelined on one connection (node-redis sends
 * everything issued in one tick in one write), which keeps their order, also across windows: the
 * sink is pipelined.
 */
export function createRedisSink(settings: RedisSinkSettings, secrets: SinkSecrets): Sink {
  const streamOf = compileTemplate(settings.stream);
  const client = createClient({
    url: settings.url,
    name: `timhook-relay-${settings.name}`,
    ...(secrets.password !== undefined ? { password: secrets.password } : {}),
    // Fail at once while disconnected (the relay retries), rather than queue in memory.
    disableOfflineQueue: true,
    // No timer per command (node-redis' default arms one each: a tenth of the drain's CPU); a
    // window of commands has one deadline instead (an ack window).
    commandOptions: { timeout: 0 },
    socket: {
      connectTimeout: settings.timeoutMs,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2_000),
      // node-redis writes until the socket's buffer passes its high-water mark, then waits a turn
      // of the event loop: at the default 16 KiB, a batch of 1 KiB events takes dozens of turns,
      // seconds when the recorder keeps the loop busy. A batch fits in one write at 4 MiB.
      ...({ writableHighWaterMark: 4 * 1024 * 1024 } as object),
    },
  });
  let lastError = 'not connected to Redis';
  client.on('error', (error: unknown) => {
    lastError = describeError(error);
  });
  let started = false;
  const trim = {
    TRIM: { strategy: 'MAXLEN' as const, strategyModifier: '~' as const, threshold: settings.maxLen },
  };

  async function ready(): Promise<boolean> {
    if (client.isReady) return true;
    if (!started) {
      started = true;
      // Resolves on the first connection; the client then reconnects by itself, forever.
      client.connect().catch((error: unknown) => {
        lastError = describeError(error);
      });
    }
    const timeout = AbortSignal.timeout(Math.min(settings.timeoutMs, 1_000));
    await once(client, 'ready', { signal: timeout }).catch(() => {});
    return client.isReady;
  }

  return {
    name: settings.name,
    type: 'redis',
    pipelined: true,
    async deliver(messages) {
      if (!(await ready())) {
        const failure: DeliveryOutcome = { kind: 'unreachable', message: lastError };
        return messages.map(() => failure);
      }
      const acks = createAckWindow(messages.length);
      messages.forEach((message, index) => {
        client
          .xAdd(
            streamOf(message),
            '*',
            {
              id: message.id,
              command: message.event.command,
              groupId: message.event.groupId ?? '',
              payload: message.body,
            },
            trim,
          )
          .then(
            () => acks.ack(index),
            (error: unknown) => acks.fail(index, error),
          );
      });
      await acks.settle(settings.timeoutMs);
      return acks.outcomes((error): DeliveryOutcome => {
        const message = describeError(error);
        return client.isReady ? { kind: 'failed', message } : { kind: 'unreachable', message };
      });
    },
    async close() {
      if (client.isReady) await client.close().catch(() => client.destroy());
      else if (client.isOpen) client.destroy();
    },
  };
}
