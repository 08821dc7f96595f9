/**
 * `timhook/protocol`: the pure wire contract of Tencent Cloud Chat's group and topic profile
 * callbacks (docs/protocol.md). No I/O and no Node-only API: it runs on any JavaScript runtime.
 */
export * from './apply-change.js';
export * from './commands.js';
export * from './constant-time.js';
export * from './dedupe-key.js';
export * from './describe-event.js';
export * from './envelope.js';
export * from './event.js';
export * from './event-time.js';
export * from './id-rules.js';
export * from './ids.js';
export * from './limits.js';
export * from './platform.js';
export * from './profile.js';
export * from './query.js';
export * from './schemas.js';
export * from './sign.js';
