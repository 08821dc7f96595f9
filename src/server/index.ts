/** `timhook/server`: the recorder service. */
export * from './create-recorder.js';
export { createHostPolicy, type HostName, type HostPolicy, parseHost } from './host-policy.js';
export * from './live-hub.js';
export * from './logger.js';
export * from './mirror/index.js';
export { formatFrame } from './routes/stream.js';
