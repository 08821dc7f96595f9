/** `timhook/relay`: sinks and the delivery loop that forwards the change log to them. */
export { createRelay } from './create-relay.js';
export type { Relay, RelayOptions } from './create-relay.js';
export { createSink } from './create-sink.js';
export { createHttpSink } from './http-sink.js';
export { createNatsSink } from './nats-sink.js';
export { createRabbitMqSink } from './rabbitmq-sink.js';
export { createRedisSink } from './redis-sink.js';
export {
  enableSink,
  listSinkDeadLetters,
  readRelayStatus,
  redriveSink,
  RelayControlError,
  replaySink,
} from './relay-control.js';
export type { ReplayTarget, SinkStatus } from './relay-control.js';
export type { RelayObserver, RelayTiming } from './relay-types.js';
export type { DeliveryOutcome, RelayMessage, Sink } from './sink.js';
export { parseSinks, SinkConfigError } from './sink-config.js';
export type { DeclaredSink, HttpSinkSettings } from './sink-config.js';
