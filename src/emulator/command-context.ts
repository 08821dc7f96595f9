import type { PendingCallback } from './callback-bodies.js';
import type { EmulatorConfig } from './config.js';
import type { EmulatorState } from './state.js';

/** Who made a call and from where: this becomes the callback's operator and URL parameters. */
export interface CallOrigin {
  /** `rest`: an app admin through the REST API; `client`: a simulated app user. */
  via: 'rest' | 'client';
  /** `Operator_Account` of the callbacks: the admin or `From_Account` (REST), or the user (client). */
  operator: string;
  /** `OptPlatform` of the callback URL: `RESTAPI` for REST calls (docs/protocol.md §1). */
  optPlatform: string;
  /** `ClientIP` of the callback URL. */
  clientIp: string;
}

/** What a command handler works with. */
export interface CommandContext extends CallOrigin {
  state: EmulatorState;
  config: EmulatorConfig;
  /** The clock, ms since the epoch. */
  now: () => number;
  /** Queues a callback for delivery, if its console switch is on and a callback URL is set. */
  emit: (callback: PendingCallback) => void;
}

/** A command: validates and applies a body, returns the answer's fields beyond the envelope. */
export type CommandHandler = (ctx: CommandContext, body: unknown) => Record<string, unknown>;
