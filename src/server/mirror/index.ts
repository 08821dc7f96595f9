/** The mirror: fills and reconciles the recorder's profiles from the Chat REST API. */
export * from './create-mirror.js';
export * from './mirror-source.js';
export * from './open-mirror.js';
export * from './pass-state.js';
export { type PassOptions, runPass } from './reconcile-pass.js';
export { isRestCommand, REST_COMMANDS } from './rest-entry.js';
export * from './rest-source.js';
