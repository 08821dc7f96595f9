/** `timhook/relay`: sinks and the delivery loop that forwards the change log to them. */
export * from './backoff.js';
export * from './create-relay.js';
export * from './create-sink.js';
export * from './deliver-window.js';
export * from './http-sink.js';
export * from './lease-owner.js';
export * from './message.js';
export * from './nats-sink.js';
export * from './rabbitmq-sink.js';
export * from './redis-sink.js';
export * from './relay-control.js';
export * from './relay-types.js';
export * from './sink.js';
export * from './sink-config.js';
export * from './sink-relay.js';
export * from './template.js';
