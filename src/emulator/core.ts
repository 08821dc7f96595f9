import { type Command, Commands } from '../protocol/index.js';
import type { PendingCallback } from './callback-bodies.js';
import type { CallOrigin, CommandHandler } from './command-context.js';
import type { CallbackSwitches, EmulatorConfig } from './config.js';
import type { DeliveryLog } from './delivery-log.js';
import type { Dispatcher } from './dispatcher.js';
import { ChatError, ErrorCodes } from './errors.js';
import type { EmulatorState } from './state.js';
import type { UserSigVerifier } from './user-sig.js';

/** The emulated backend behind every route: app identity, state, console settings, delivery. */
export interface EmulatorCore {
  readonly sdkAppId: string;
  readonly secretKey: string;
  /** Checks REST UserSigs against the app's id and secret key. */
  readonly userSigs: UserSigVerifier;
  readonly state: EmulatorState;
  /** The console settings in force; replaced (never mutated) when they change. */
  config: EmulatorConfig;
  readonly now: () => number;
  readonly deliveries: DeliveryLog;
  readonly dispatcher: Dispatcher;
  readonly maxBodyBytes: number;
  readonly log: (message: string, error: unknown) => void;
}

/** A REST or client answer: the Chat envelope plus the command's own fields (PROTOCOL.md §4). */
export interface ChatAnswer {
  ActionStatus: 'OK' | 'FAIL';
  ErrorInfo: string;
  ErrorCode: number;
  [field: string]: unknown;
}

/** A refusal in the Chat envelope. */
export function chatFailure(code: number, info: string): ChatAnswer {
  return { ActionStatus: 'FAIL', ErrorInfo: info, ErrorCode: code };
}

// Which console switch turns each callback on; the two profile callbacks share one (seed 000).
const SWITCH_OF: Readonly<Record<Command, keyof CallbackSwitches>> = {
  [Commands.GroupInfoChanged]: 'groupInfo',
  [Commands.TopicInfoChanged]: 'groupInfo',
  [Commands.CreateGroup]: 'createGroup',
  [Commands.GroupDestroyed]: 'groupDestroyed',
  [Commands.CreateTopic]: 'createTopic',
  [Commands.TopicDestroyed]: 'topicDestroyed',
};

/**
 * Runs `handler` on `body` for a caller, and answers in the envelope: a {@link ChatError} becomes
 * its code, anything else 10002 (logged), so one bad request never takes the process down.
 */
export function runCommand(
  core: EmulatorCore,
  handler: CommandHandler,
  origin: CallOrigin,
  body: unknown,
): ChatAnswer {
  const config = core.config;
  try {
    const fields = handler(
      {
        ...origin,
        state: core.state,
        config,
        now: core.now,
        emit: (callback) => emitCallback(core, config, origin, callback),
      },
      body,
    );
    return { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0, ...fields };
  } catch (error) {
    return answerError(core, error);
  }
}

/** The envelope for a thrown error: its own code when it is a {@link ChatError}, else 10002. */
export function answerError(core: EmulatorCore, error: unknown): ChatAnswer {
  if (error instanceof ChatError) return chatFailure(error.code, error.message);
  core.log('[timhook] emulator: unexpected error in a command', error);
  return chatFailure(ErrorCodes.Internal, 'internal error');
}

function emitCallback(
  core: EmulatorCore,
  config: EmulatorConfig,
  origin: CallOrigin,
  callback: PendingCallback,
): void {
  if (config.callbackUrl === null || !config.callbacks[SWITCH_OF[callback.command]]) return;
  let body = callback.body;
  if (config.eventTimeFormat === 'string' && typeof body.EventTime === 'number') {
    body = { ...body, EventTime: String(body.EventTime) };
  }
  core.dispatcher.enqueue({
    ...callback,
    body,
    url: config.callbackUrl,
    token: config.callbackToken,
    sdkAppId: core.sdkAppId,
    optPlatform: origin.optPlatform,
    clientIp: origin.clientIp,
  });
}
