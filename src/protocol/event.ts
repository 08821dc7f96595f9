import type { Command } from './commands.js';
import type { CallbackQuery } from './query.js';
import type { BodyOf } from './schemas.js';

/** A verified callback: its command, typed body, the raw body it was parsed from, and the query. */
export interface CallbackEvent<C extends string = string, B = Record<string, unknown>> {
  command: C;
  body: B;
  /** The body exactly as received (UTF-8 text), kept for logging and replay. */
  rawBody: string;
  query: CallbackQuery;
  sdkAppId: string;
  /** When the receiver got it, ms since the epoch. */
  receivedAt: number;
}

/** A callback of a known command, with its body typed. */
export type KnownEvent = { [C in Command]: CallbackEvent<C, BodyOf<C>> }[Command];

/** The event of command `C`. */
export type EventOf<C extends Command> = CallbackEvent<C, BodyOf<C>>;

/** A callback of a command timhook has no schema for (other Chat callbacks). */
export type UnknownEvent = CallbackEvent<string, Record<string, unknown>>;

/** Any verified callback. */
export type AnyEvent = KnownEvent | UnknownEvent;
