import type { RenderedEvent } from '../store/index.js';

/** One message for a sink: a logged event, its stable id, and the payload as sent. */
export interface RelayMessage {
  /** `<sdkAppId>:<seq>`: the same on every re-send, so consumers can drop duplicates. */
  id: string;
  seq: number;
  /** The app the recorder serves (the `{sdkAppId}` of subject, key and routing templates). */
  sdkAppId: string;
  /** The event as read from the log: its routing fields, and its JSON as rendered when logged. */
  event: RenderedEvent;
  /** The recorded event as the API returns it, or the original Tencent body (`payload` setting). */
  body: string;
}

/**
 * Why one message was not delivered, which decides what the relay does next:
 * - `failed`: the sink answered and refused, or did not answer in time. Counts toward the sink's
 *   retry limit; past it the event is dead-lettered. `retryAfterMs` when the sink said when.
 * - `unreachable`: the sink could not be reached at all (connection refused, broker disconnected).
 *   Retried with backoff without limit and never dead-lettered: an outage costs no dead letters.
 * - `deferred`: not attempted, because an earlier message of its group failed in this round (order).
 * - `gone`: the endpoint said it is gone for good (HTTP 410): the sink disables itself.
 */
export type DeliveryFailure =
  | { kind: 'failed'; message: string; retryAfterMs?: number }
  | { kind: 'unreachable'; message: string }
  | { kind: 'deferred' }
  | { kind: 'gone'; message: string };

/** How one message fared: delivered (`null`), or why not. */
export type DeliveryOutcome = DeliveryFailure | null;

/**
 * A place the relay delivers to: one implementation per transport (`http-sink.ts`,
 * `nats-sink.ts`, `redis-sink.ts`, `rabbitmq-sink.ts`).
 */
export interface Sink {
  readonly name: string;
  readonly type: string;
  /**
   * True when `deliver` may be called again before an earlier call has resolved: the sink puts
   * each call's messages on its connection after the earlier calls' (in call order), so the relay
   * sends the next batch while the server still works on this one. Absent: one call at a time.
   */
  readonly pipelined?: boolean;
  /**
   * Sends `messages` (log order) and resolves with one outcome per message, in the same order;
   * never rejects. Messages of one group must reach the server in the order given: pipelined on
   * one connection, or one at a time per group. Connects (again) as needed. `ahead` (pipelined
   * sinks): the relay has not seen the outcome of the earlier calls yet; a sink that keeps each
   * group in order by itself defers a group whose last message failed.
   */
  deliver(
    messages: readonly RelayMessage[],
    signal: AbortSignal,
    options?: { ahead?: boolean },
  ): Promise<DeliveryOutcome[]>;
  /** Closes connections; pending deliveries settle as failures. */
  close(): Promise<void>;
}

/** A short, secret-free description of an error from a client library. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code;
  const text = error.message || error.name;
  return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
}

/**
 * `Promise.allSettled` with a deadline: what has not settled after `ms` counts as rejected with a
 * timeout (a broker that stopped answering without closing the connection).
 */
export async function settleWithin<T>(
  ms: number,
  promises: readonly Promise<T>[],
): Promise<PromiseSettledResult<T>[]> {
  const results: Array<PromiseSettledResult<T> | undefined> = promises.map(() => undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  const all = Promise.all(
    promises.map((promise, i) =>
      promise.then(
        (value) => {
          results[i] = { status: 'fulfilled', value };
        },
        (reason: unknown) => {
          results[i] = { status: 'rejected', reason };
        },
      ),
    ),
  );
  await Promise.race([all, deadline]);
  clearTimeout(timer);
  return results.map(
    (result) => result ?? { status: 'rejected', reason: new Error(`no answer within ${ms} ms`) },
  );
}
