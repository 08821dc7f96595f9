import type { DeadLetter } from '../store/index.js';
import { backoffDelay } from './backoff.js';
import type { RelayLogger, RelayObserver } from './relay-types.js';
import type { DeliveryOutcome, RelayMessage, Sink } from './sink.js';
import type { SinkSettings } from './sink-config.js';

/** What happened to a window: delivered, given up on, or still to deliver (stopped, gone). */
export interface WindowResult {
  delivered: RelayMessage[];
  deadLetters: DeadLetter[];
  remaining: RelayMessage[];
  /** The endpoint said 410: the reason to disable. */
  gone: string | null;
  /** An operator action or a lost lease made the window moot: write nothing of it. */
  superseded: boolean;
}

/** What a window's delivery needs from its loop. */
export interface WindowContext {
  sink: Sink;
  name: string;
  retry: SinkSettings['retry'];
  maxRetryAfterMs: number;
  signal: AbortSignal;
  logger: RelayLogger;
  observer?: RelayObserver;
  now: () => number;
  random: () => number;
  isStopping(): boolean;
  /**
   * Told of a failed round and the delay before the next one (`counted`: a refusal, not an
   * unreachable sink); waits it out and says whether to go on, stop, or drop the window.
   */
  onRetry(
    error: string,
    at: number,
    delayMs: number,
    counted: boolean,
  ): Promise<'ok' | 'stop' | 'superseded'>;
  /** The window went through (after failures, if any). */
  onDelivered(): void;
}

interface Attempting {
  message: RelayMessage;
  attempts: number;
  firstFailedAt: number | null;
  error: string;
}

/**
 * Delivers a window of messages (log order) to a sink, retrying what failed: a refused message
 * counts an attempt and is dead-lettered at `retry.maxAttempts`; an unreachable sink is waited for
 * without limit; a deferred message (behind a failed one of its group) is sent again as it is. The
 * backoff is exponential with jitter, or `Retry-After` when the sink said (up to `maxRetryAfterMs`).
 * `sent`: the outcomes of a first attempt already made (a pipelined sink's window sent ahead).
 */
export async function deliverWithRetries(
  messages: readonly RelayMessage[],
  context: WindowContext,
  sent?: Promise<readonly DeliveryOutcome[]>,
): Promise<WindowResult> {
  const { sink, name, retry: limits, maxRetryAfterMs, signal, logger, observer, now, random } = context;
  const result: WindowResult = {
    delivered: [],
    deadLetters: [],
    remaining: [],
    gone: null,
    superseded: false,
  };
  if (messages.length === 0) {
    context.onDelivered();
    return result;
  }
  let outcomes = await (sent ?? sink.deliver(messages, signal));
  if (outcomes.length === messages.length && outcomes.every((outcome) => outcome === null)) {
    // The common case, without the bookkeeping of attempts.
    result.delivered = messages.slice();
    observer?.delivered(
      name,
      messages.map((m) => m.event),
      now(),
    );
    context.onDelivered();
    return result;
  }
  let waiting: Attempting[] = messages.map((message) => ({
    message,
    attempts: 0,
    firstFailedAt: null,
    error: '',
  }));
  let unreachableRounds = 0;
  let first = true;
  for (;;) {
    const at = now();
    const delivered: RelayMessage[] = [];
    const retry: Attempting[] = [];
    let counted = false;
    let failures = 0;
    let retryAfterMs = 0;
    let firstError: string | null = null;
    waiting.forEach((w, i) => {
      const given = outcomes[i];
      const outcome =
        given === undefined ? { kind: 'failed' as const, message: 'the sink gave no outcome' } : given;
      if (outcome === null) {
        delivered.push(w.message);
        return;
      }
      if (context.isStopping() || outcome.kind === 'deferred') {
        retry.push(w);
        return;
      }
      failures++;
      firstError ??= outcome.message;
      if (outcome.kind === 'gone') result.gone ??= outcome.message;
      if (outcome.kind !== 'failed') {
        retry.push(w);
        return;
      }
      counted = true;
      w.attempts++;
      w.error = outcome.message;
      w.firstFailedAt ??= at;
      retryAfterMs = Math.max(retryAfterMs, outcome.retryAfterMs ?? 0);
      if (w.attempts < limits.maxAttempts) {
        retry.push(w);
        return;
      }
      result.deadLetters.push({
        seq: w.message.seq,
        attempts: w.attempts,
        error: w.error,
        firstFailedAt: w.firstFailedAt,
        failedAt: at,
        redrive: false,
      });
      logger.warn('relay: event dead-lettered', {
        sink: name,
        seq: w.message.seq,
        attempts: w.attempts,
        error: w.error,
      });
    });
    const wasAhead = first && sent !== undefined;
    first = false;
    result.delivered.push(...delivered);
    if (delivered.length > 0)
      observer?.delivered(
        name,
        delivered.map((m) => m.event),
        at,
      );
    if (failures > 0) observer?.failed(name, failures);
    const dead = waiting.length - delivered.length - retry.length;
    if (dead > 0) observer?.deadLettered(name, dead);
    waiting = retry;
    if (waiting.length === 0) break;
    if (context.isStopping() || result.gone !== null) {
      result.remaining = waiting.map((w) => w.message);
      return result;
    }
    if (firstError === null) {
      // Only deferred: behind a delivery, or (sent ahead) behind an earlier window, settled by now.
      if (delivered.length > 0 || wasAhead) continue;
      firstError = 'the sink sent nothing'; // never spin on a sink that defers everything
    }
    const attempt = counted ? Math.max(...waiting.map((w) => w.attempts), 1) : ++unreachableRounds;
    if (counted) unreachableRounds = 0;
    let delay = backoffDelay(attempt, limits, random);
    if (retryAfterMs > 0) delay = Math.min(Math.max(delay, retryAfterMs), maxRetryAfterMs);
    const held = await context.onRetry(firstError, at, delay, counted);
    if (held === 'superseded') {
      result.superseded = true;
      return result;
    }
    if (held === 'stop') {
      result.remaining = waiting.map((w) => w.message);
      return result;
    }
    outcomes = await sink.deliver(
      waiting.map((w) => w.message),
      signal,
    );
  }
  context.onDelivered();
  return result;
}
