import { type Command, Commands } from '../protocol/index.js';
import type { PendingCallback } from './callback-bodies.js';
import type { CallOrigin, CommandHandler } from './command-context.js';
import {
  applyConfigPatch,
  type CallbackSwitches,
  type EmulatorConfig,
  type parseConfigPatch,
} from './config.js';
import type { DeliveryLog } from './delivery-log.js';
import type { Dispatcher } from './dispatcher.js';
import { ChatError, ErrorCodes } from './errors.js';
import type { RateLimiter } from './rate-limits.js';
import type { SeededRandom } from './seeded-random.js';
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
  /** The per-API token buckets behind `config.rateLimits`. */
  readonly rateLimiter: RateLimiter;
  /** Decides which callbacks `config.dropCallbacks` loses; seeded by `config.seed`. */
  readonly random: SeededRandom;
}

/** A console-settings patch that passed {@link parseConfigPatch}. */
export type ParsedConfigPatch = Extract<ReturnType<typeof parseConfigPatch>, { ok: true }>['patch'];

/**
 * Applies a checked patch to the settings in force. A patch that names `seed` starts the fault
 * randomness again from it (even the same seed), so a run can be repeated from that point.
 */
export function updateConfig(core: EmulatorCore, patch: ParsedConfigPatch): void {
  core.config = applyConfigPatch(core.config, patch);
  if (patch.seed !== undefined) core.random.reseed(patch.seed ?? Math.floor(Math.random() * 2 ** 32));
}

/** How a command runs: `silent` applies it with no callback at all, whatever the switches say. */
export interface RunOptions {
  silent?: boolean;
}

/** A REST or client answer: the Chat envelope plus the command's own fields (docs/protocol.md §4). */
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
  options: RunOptions = {},
): ChatAnswer {
  const config = core.config;
  try {
    const fields = handler(
      {
        ...origin,
        state: core.state,
        config,
        now: core.now,
        emit: options.silent ? () => {} : (callback) => emitCallback(core, config, origin, callback),
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
  if (config.silentChanges && SWITCH_OF[callback.command] === 'groupInfo') return;
  let body = callback.body;
  if (config.eventTimeFormat === 'string' && typeof body.EventTime === 'number') {
    body = { ...body, EventTime: String(body.EventTime) };
  }
  // A draw for every callback, lost or not, so a seed replays the same losses for the same calls.
  const lost = config.dropCallbacks > 0 && core.random.next() < config.dropCallbacks;
  const job = {
    ...callback,
    body,
    url: config.callbackUrl,
    token: config.callbackToken,
    sdkAppId: core.sdkAppId,
    optPlatform: origin.optPlatform,
    clientIp: origin.clientIp,
  };
  if (lost) core.dispatcher.drop(job);
  else core.dispatcher.enqueue(job);
}
