/**
 * `timhook/emulator`: a local stand-in for the Tencent Cloud Chat backend — the REST API that
 * creates and modifies groups and topics (UserSig auth, documented limits and error codes), a
 * client face for simulated app users, and a dispatcher that fires the documented callbacks,
 * signed, with the 2 s timeout (docs/protocol.md). Node only.
 */
export type { PendingCallback } from './callback-bodies.js';
export {
  type CallbackSwitches,
  createDefaultConfig,
  type EmulatorConfig,
  type EmulatorConfigPatch,
  type TopicBodyShape,
} from './config.js';
export type { ChatAnswer } from './core.js';
export { createEmulator, type Emulator } from './create-emulator.js';
export type { DeliveryFilter, DeliveryOutcome, DeliveryRecord } from './delivery-log.js';
export { ChatError, type ErrorCode, ErrorCodes } from './errors.js';
export {
  DEFAULT_SDK_APP_ID,
  DEFAULT_SECRET_KEY,
  type EmulatorOptions,
  type ResolvedEmulatorOptions,
} from './options.js';
export { DEFAULT_RATE_LIMITS, resolveCommandName } from './rate-limits.js';
export {
  generateUserSig,
  type UserSigCheck,
  type UserSigExpectation,
  type UserSigInput,
  verifyUserSig,
} from './user-sig.js';
