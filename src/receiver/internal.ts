import type { CallbackQuery } from '../protocol/index.js';
import type { ReceiveResult } from './answer.js';

/**
 * `receiveBody` without the promise when every handler returned at once: the node adapter uses
 * it so a callback costs no extra turns of the event loop. Not part of the public API.
 */
export type ReceiveBodyNow = (
  query: CallbackQuery,
  rawBody: string,
) => ReceiveResult | Promise<ReceiveResult>;

const fastPaths = new WeakMap<object, ReceiveBodyNow>();

/** Registers the synchronous path of a receiver made by `createReceiver`. */
export function setReceiveBodyNow(receiver: object, receiveBodyNow: ReceiveBodyNow): void {
  fastPaths.set(receiver, receiveBodyNow);
}

/** The synchronous path of a receiver, if it has one (a receiver from elsewhere may not). */
export function getReceiveBodyNow(receiver: object): ReceiveBodyNow | undefined {
  return fastPaths.get(receiver);
}
