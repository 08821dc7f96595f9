import { backoffDelay } from './backoff.js';
import { checkpoint } from './loop/progress.js';
import { runRound } from './loop/round.js';
import { createSinkLoop, pause, type SinkLoop, type SinkRelayOptions } from './loop/state.js';
import type { SinkRuntime } from './relay-types.js';

export type { SinkRelayOptions } from './loop/state.js';

/** One sink's delivery loop. */
export interface SinkRelay {
  readonly name: string;
  /** Runs until `stop`; never rejects. */
  run(): Promise<void>;
  /** New events were committed. */
  wake(): void;
  /** An operator changed the stored state: read it now rather than at the next poll. */
  refresh(): void;
  /** Asks the loop to stop; `run` resolves once it has written its progress. */
  stop(): void;
  runtime(): SinkRuntime;
}

/**
 * The delivery loop of one sink. It reads the log after its cursor in batches, in seq order, sends
 * the events that pass the sink's filter, and moves the cursor past a batch once every event of it
 * is delivered or dead-lettered, reading (and sending to a pipelined sink) the next batches
 * meanwhile (loop/read-ahead.ts). A failed event is retried with exponential backoff and jitter,
 * the batch waiting behind it (order); after `retry.maxAttempts` it is dead-lettered and the loop
 * moves on. An unreachable sink waits without limit and dead-letters nothing. The cursor is
 * written at most every `checkpointMs` (a crash re-sends at most that much, with the same ids) and
 * only while this instance holds the sink's lease and no operator action intervened (epoch).
 * The loop's state is one plain object (loop/state.ts) that the functions of loop/ work on.
 */
export function createSinkRelay(options: SinkRelayOptions): SinkRelay {
  const loop = createSinkLoop(options);
  return {
    name: loop.name,
    run: () => runSinkLoop(loop),
    wake() {
      loop.woken = true;
      if (loop.waiter?.onEvents) loop.waiter.resolve();
      loop.ahead.wake();
    },
    refresh() {
      loop.refreshWanted = true;
      loop.waiter?.resolve();
    },
    stop() {
      loop.stopping = true;
      loop.abort.abort();
      loop.waiter?.resolve();
    },
    runtime: () => ({ ...loop.runtime }),
  };
}

/**
 * Runs rounds until a stop, then writes the progress and gives up the lease. A round that throws
 * (the store or the log failed) is logged, and the loop starts again from what is stored after a
 * backoff.
 */
async function runSinkLoop(loop: SinkLoop): Promise<void> {
  const { name, logger, runtime } = loop;
  let errors = 0;
  while (!loop.stopping) {
    try {
      await runRound(loop);
      errors = 0;
    } catch (error) {
      if (loop.stopping) break;
      errors++;
      runtime.lastError = (error as Error).message;
      logger.error('relay: delivery round failed', { sink: name, error });
      loop.claim = null; // start again from what is stored
      await pause(loop, backoffDelay(errors, loop.settings.retry, loop.random), false);
    }
  }
  try {
    await checkpoint(loop, true);
    if (loop.claim) await loop.store.releaseLease(name, loop.owner);
  } catch (error) {
    logger.warn('relay: could not write the last progress (it is sent again next time)', {
      sink: name,
      error,
    });
  }
  runtime.phase = 'stopped';
}
