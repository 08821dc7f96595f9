/**
 * `timhook/receiver`: verify, parse and dispatch Tencent Cloud Chat callbacks, for any
 * web-standard or Node server. The Fastify and Hono adapters only import those frameworks' types:
 * bring your own copy.
 */
export type {
  AnyEvent,
  CallbackAnswer,
  CallbackEvent,
  CallbackQuery,
  Command,
  EventOf,
  KnownEvent,
  UnknownEvent,
} from '../protocol/index.js';
export * from './answer.js';
export * from './create-receiver.js';
export * from './errors.js';
export * from './fastify.js';
export * from './hono.js';
export * from './node.js';
export * from './options.js';
