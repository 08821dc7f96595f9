import type { DeliveryOutcome } from './sink.js';

/**
 * The acknowledgements of a window of messages sent at once (a JetStream PubAck, a publisher
 * confirm, a reply to XADD), collected by index with one deadline for the lot: no promise and no
 * timer per message.
 */
export interface AckWindow {
  /** Message `index` was acknowledged. */
  ack(index: number): void;
  /** Message `index` was refused, or its send failed. */
  fail(index: number, error: unknown): void;
  /** Resolves once every message is acknowledged or failed, or after `ms`, whichever comes first. */
  settle(ms: number): Promise<void>;
  /**
   * The outcome of each message: null when acknowledged; otherwise `judge` of its error, or of a
   * timeout error when no answer came in time.
   */
  outcomes(judge: (error: unknown) => DeliveryOutcome): DeliveryOutcome[];
}

const PENDING = 0;
const ACKED = 1;
const FAILED = 2;

/** Creates the acknowledgement window of `size` messages. */
export function createAckWindow(size: number): AckWindow {
  const states = new Uint8Array(size);
  const errors = new Map<number, unknown>();
  let left = size;
  let waitedMs = 0;
  let finish: (() => void) | null = null;

  function settleOne(index: number, state: number): boolean {
    if (states[index] !== PENDING) return false;
    states[index] = state;
    if (--left === 0) finish?.();
    return true;
  }

  return {
    ack(index) {
      settleOne(index, ACKED);
    },
    fail(index, error) {
      if (states[index] !== PENDING) return;
      errors.set(index, error);
      settleOne(index, FAILED);
    },
    settle(ms) {
      waitedMs = ms;
      if (left === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        finish = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
    outcomes(judge) {
      const outcomes: DeliveryOutcome[] = new Array(size);
      for (let i = 0; i < size; i++) {
        const state = states[i];
        outcomes[i] =
          state === ACKED
            ? null
            : judge(state === FAILED ? errors.get(i) : new Error(`no answer within ${waitedMs} ms`));
      }
      return outcomes;
    },
  };
}
