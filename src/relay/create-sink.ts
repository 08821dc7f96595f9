import { createHttpSink } from './http-sink.js';
import { createNatsSink } from './nats-sink.js';
import { createRabbitMqSink } from './rabbitmq-sink.js';
import { createRedisSink } from './redis-sink.js';
import type { Sink } from './sink.js';
import type { DeclaredSink } from './sink-config.js';

/** Builds the sink a config entry declares. Nothing connects until the first delivery. */
export function createSink({ settings, secrets }: DeclaredSink): Sink {
  switch (settings.type) {
    case 'http':
      return createHttpSink(settings, secrets.secret!);
    case 'nats':
      return createNatsSink(settings, secrets);
    case 'redis':
      return createRedisSink(settings, secrets);
    case 'rabbitmq':
      return createRabbitMqSink(settings, secrets);
  }
}
