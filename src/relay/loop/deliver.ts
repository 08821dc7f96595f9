import { deliverWithRetries, type WindowResult } from '../deliver-window.js';
import type { DeliveryOutcome, RelayMessage } from '../sink.js';
import { syncLease } from './lease.js';
import { pause, type SinkLoop } from './state.js';

/**
 * Delivers one window with retries (deliver-window.ts), the loop's state wired in: a failure is
 * logged once and recorded, the phase says whether the sink refuses (`retrying`) or cannot be
 * reached (`unreachable`), and the retry delay is waited out holding the lease (`holdRetry`).
 * `sent`: the outcomes of the window's first attempt, when it was sent ahead.
 */
export function deliverWindow(
  loop: SinkLoop,
  messages: readonly RelayMessage[],
  sent?: Promise<readonly DeliveryOutcome[]>,
): Promise<WindowResult> {
  const { name, logger, observer, runtime } = loop;
  return deliverWithRetries(
    messages,
    {
      sink: loop.sink,
      name,
      retry: loop.settings.retry,
      maxRetryAfterMs: loop.timing.maxRetryAfterMs,
      signal: loop.abort.signal,
      logger,
      ...(observer ? { observer } : {}),
      now: loop.now,
      random: loop.random,
      isStopping: () => loop.stopping,
      async onRetry(error, at, delay, counted) {
        if (!loop.failing) logger.warn('relay: sink failing, retrying', { sink: name, error });
        loop.failing = true;
        runtime.phase = counted ? 'retrying' : 'unreachable';
        runtime.lastError = error;
        runtime.nextAttemptAt = loop.now() + delay;
        await loop.store.recordError(name, error, at);
        const held = await holdRetry(loop, delay);
        runtime.nextAttemptAt = null;
        if (held === 'ok') runtime.phase = 'delivering';
        return held;
      },
      onDelivered() {
        if (loop.failing) logger.info('relay: sink delivers again', { sink: name });
        loop.failing = false;
      },
    },
    sent,
  );
}

/**
 * Waits out a retry delay, renewing the lease every `pollMs`; says why it ended early: a stop, or
 * the window is moot (the lease is lost, or an operator action changed the epoch).
 */
async function holdRetry(loop: SinkLoop, ms: number): Promise<'ok' | 'stop' | 'superseded'> {
  const until = loop.now() + ms;
  const epoch = loop.claim?.epoch;
  for (;;) {
    if (loop.stopping) return 'stop';
    const left = until - loop.now();
    if (left <= 0) return 'ok';
    await pause(loop, Math.min(left, loop.timing.pollMs), false);
    if (loop.stopping) return 'stop';
    if (!(await syncLease(loop)) || loop.claim?.epoch !== epoch) return 'superseded';
  }
}
