/** `timhook/server`: the recorder service. */
export * from './create-recorder.js';
export * from './live-hub.js';
export * from './logger.js';
export * from './mirror/index.js';
export { formatFrame } from './routes/stream.js';
