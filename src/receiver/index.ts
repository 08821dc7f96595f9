/**
 * `timhook/receiver`: verify, parse and dispatch Tencent Cloud Chat callbacks, for any
 * web-standard or Node server.
 */
export * from './answer.js';
export * from './create-receiver.js';
export * from './errors.js';
export * from './node.js';
export * from './options.js';
