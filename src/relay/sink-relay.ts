import type { ChangeLog, DeadLetter, RelaySinkState, RelayState } from '../store/index.js';
import { backoffDelay } from './backoff.js';
import { deliverWithRetries, type WindowResult } from './deliver-window.js';
import { isDeadLocalOwner } from './lease-owner.js';
import { toRelayMessage } from './message.js';
import { createReadAhead } from './read-ahead.js';
import { type Batch, readBatch, readEventsBySeq } from './read-batch.js';
import type { RelayLogger, RelayObserver, RelayTiming, SinkRuntime } from './relay-types.js';
import type { DeliveryOutcome, RelayMessage, Sink } from './sink.js';
import type { SinkSettings } from './sink-config.js';

/** What one sink's loop needs. */
export interface SinkRelayOptions {
  sink: Sink;
  settings: SinkSettings;
  log: ChangeLog;
  state: RelayState;
  /** The app id of the messages' ids (`<sdkAppId>:<seq>`), given the seq of an event being sent. */
  sdkAppIdOf: (seq: number) => Promise<string>;
  /** This instance's lease owner id; see `relayOwnerId`. */
  owner: string;
  logger: RelayLogger;
  observer?: RelayObserver;
  timing?: RelayTiming;
  /** True while the recorder's commit queue is backed up: callbacks go first, the round waits. */
  busy?: () => boolean;
  now?: () => number;
  random?: () => number;
}

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

interface Pending {
  delivered: number;
  deliveredAt: number | null;
  deadLetters: DeadLetter[];
  redriven: number[];
}

const emptyPending = (): Pending => ({ delivered: 0, deliveredAt: null, deadLetters: [], redriven: [] });

/**
 * The delivery loop of one sink (issue 6). It reads the log after its cursor in batches, in seq
 * order, sends the events that pass the sink's filter, and moves the cursor past a batch once every
 * event of it is delivered or dead-lettered, reading (and sending to a pipelined sink) the next
 * batches meanwhile (read-ahead.ts). A failed event is retried with exponential backoff and
 * jitter, the batch waiting behind it (order); after `retry.maxAttempts` it is dead-lettered and
 * the loop moves on. An unreachable sink waits without limit and dead-letters nothing. The cursor
 * is written at most every `checkpointMs` (a crash re-sends at most that much, with the same ids)
 * and only while this instance holds the sink's lease and no operator action intervened (epoch).
 */
export function createSinkRelay(options: SinkRelayOptions): SinkRelay {
  const { sink, settings, log, state: store, sdkAppIdOf, owner, logger, observer } = options;
  const { now = Date.now, random = Math.random } = options;
  const {
    pollMs = 1000,
    leaseTtlMs = 15_000,
    checkpointMs = 250,
    maxRetryAfterMs = 3_600_000,
    maxYieldMs = 500,
  } = options.timing ?? {};
  const busy = options.busy ?? (() => false);
  const name = settings.name;
  const abort = new AbortController();
  let stopping = false;
  let woken = false;
  let refreshWanted = false;
  let waiter: { resolve: () => void; onEvents: boolean } | null = null;
  // The stored state as last read while holding the lease; null when not holding it.
  let claim: RelaySinkState | null = null;
  let cursor = 0;
  let renewedAt = 0;
  let pending = emptyPending();
  let checkpointedAt = 0;
  let failing = false;
  let ensured = false;
  // The last batch filled `batchSize`: a backlog is being worked off; and how long it took, ms
  // (see `yieldToCallbacks`).
  let draining = false;
  let deliveredInMs = 0;
  const ahead = createReadAhead({
    sink,
    signal: abort.signal,
    read,
    isWoken: () => woken,
    // Not while the sink fails: a batch sent ahead could reach it before the retries.
    maySend: () => !failing && !stopping,
    isStopping: () => stopping,
  });
  const runtime: SinkRuntime = { phase: 'starting', cursor: null, lastError: null, nextAttemptAt: null };

  /** Waits `ms`, or less: on stop, on an operator action, and on new events when `onEvents`. */
  function pause(ms: number, onEvents: boolean): Promise<void> {
    if (stopping || refreshWanted || (onEvents && woken)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        waiter = null;
        resolve();
      }
      waiter = { resolve: done, onEvents };
    });
  }

  /** Renews the lease and takes in operator actions; false when another instance holds the sink. */
  async function sync(force = false): Promise<boolean> {
    if (!force && !refreshWanted && claim && now() - renewedAt < pollMs) return true;
    refreshWanted = false;
    let granted = await store.acquireLease(name, owner, leaseTtlMs);
    if (!granted) {
      const holder = (await store.getSink(name))?.leaseOwner ?? null;
      if (holder && isDeadLocalOwner(holder))
        granted = await store.acquireLease(name, owner, leaseTtlMs, holder);
    }
    renewedAt = now();
    if (!granted) {
      if (claim) logger.info('relay: another instance delivers this sink now', { sink: name });
      claim = null;
      pending = emptyPending();
      runtime.cursor = null;
      runtime.phase = 'standby';
      return false;
    }
    if (!claim || granted.epoch !== claim.epoch) {
      // First hold, or an operator moved things: restart from what is stored.
      cursor = granted.cursor;
      pending = emptyPending();
      ahead.drop();
    }
    claim = granted;
    runtime.cursor = cursor;
    return true;
  }

  /**
   * Writes the cursor and dead letters when due (always with `force`), if still entitled to.
   * Resolves true when progress is left unwritten (not due yet).
   */
  async function checkpoint(force: boolean): Promise<boolean> {
    if (!claim) return false;
    const dirty =
      cursor !== claim.cursor ||
      pending.delivered > 0 ||
      pending.deadLetters.length > 0 ||
      pending.redriven.length > 0;
    if (!dirty) return false;
    if (!force && now() - checkpointedAt < checkpointMs) return true;
    const written = await store.commitProgress(name, { epoch: claim.epoch, owner }, { cursor, ...pending });
    checkpointedAt = now();
    pending = emptyPending();
    if (written) {
      claim = { ...claim, cursor };
    } else {
      claim = null; // an operator action or another instance: re-read before going on
      refreshWanted = true;
    }
    return false;
  }

  /** Waits out a retry delay, keeping the lease; says why it ended early. */
  async function hold(ms: number): Promise<'ok' | 'stop' | 'superseded'> {
    const until = now() + ms;
    const epoch = claim?.epoch;
    for (;;) {
      if (stopping) return 'stop';
      const left = until - now();
      if (left <= 0) return 'ok';
      await pause(Math.min(left, pollMs), false);
      if (stopping) return 'stop';
      if (!(await sync()) || claim?.epoch !== epoch) return 'superseded';
    }
  }

  /** Delivers one window with retries (deliver-window.ts), the loop's state wired in. */
  function deliverWindow(
    messages: readonly RelayMessage[],
    sent?: Promise<readonly DeliveryOutcome[]>,
  ): Promise<WindowResult> {
    return deliverWithRetries(
      messages,
      {
        sink,
        name,
        retry: settings.retry,
        maxRetryAfterMs,
        signal: abort.signal,
        logger,
        ...(observer ? { observer } : {}),
        now,
        random,
        isStopping: () => stopping,
        async onRetry(error, at, delay, counted) {
          if (!failing) logger.warn('relay: sink failing, retrying', { sink: name, error });
          failing = true;
          runtime.phase = counted ? 'retrying' : 'unreachable';
          runtime.lastError = error;
          runtime.nextAttemptAt = now() + delay;
          await store.recordError(name, error, at);
          const held = await hold(delay);
          runtime.nextAttemptAt = null;
          if (held === 'ok') runtime.phase = 'delivering';
          return held;
        },
        onDelivered() {
          if (failing) logger.info('relay: sink delivers again', { sink: name });
          failing = false;
        },
      },
      sent,
    );
  }

  /** Takes a window's result into the pending progress; the new cursor is `through` when all went. */
  function settle(result: WindowResult, through: number, redriving: boolean): void {
    // With something left (stopped, gone) the cursor stops before it; later ones are sent again.
    const stopAt = result.remaining.length > 0 ? Math.min(...result.remaining.map((m) => m.seq)) : null;
    const kept = (seq: number) => redriving || stopAt === null || seq < stopAt;
    const delivered = result.delivered.filter((m) => kept(m.seq));
    pending.delivered += delivered.length;
    if (delivered.length > 0) pending.deliveredAt = now();
    pending.deadLetters.push(...result.deadLetters.filter((letter) => kept(letter.seq)));
    if (redriving) pending.redriven.push(...delivered.map((m) => m.seq));
    else cursor = stopAt === null ? through : stopAt - 1;
    runtime.cursor = cursor;
  }

  async function disable(reason: string): Promise<void> {
    await checkpoint(true);
    await store.setDisabled(name, reason, now());
    logger.warn('relay: sink disabled itself; enable it again with `timhook relay enable`', {
      sink: name,
      reason,
    });
    refreshWanted = true;
  }

  async function redriveRound(): Promise<void> {
    const letters = await store.listDeadLetters(name, { redrive: true, limit: settings.batchSize });
    if (letters.length > 0) {
      const events = await readEventsBySeq(
        log,
        letters.map((letter) => letter.seq),
      );
      const found = new Set(events.map((event) => event.seq));
      // A letter whose event is not in the log any more has nothing to send: drop it.
      pending.redriven.push(...letters.filter((letter) => !found.has(letter.seq)).map((l) => l.seq));
      const sdkAppId = events[0] ? await sdkAppIdOf(events[0].seq) : '';
      const result = await deliverWindow(
        events.map((event) => toRelayMessage(event, settings.payload, sdkAppId)),
      );
      if (result.superseded) return;
      settle(result, cursor, true);
      if (result.gone !== null) {
        await disable(result.gone);
        return;
      }
    }
    await checkpoint(true);
    refreshWanted = true; // re-read what is left to re-drive
  }

  async function round(): Promise<void> {
    if (!ensured) {
      const initial = settings.from === 'end' ? (await log.stats()).lastSeq : 0;
      await store.ensureSink(name, initial);
      ensured = true;
    }
    if (!(await sync())) {
      await pause(pollMs, false);
      return;
    }
    const held = claim!;
    if (held.disabledAt !== null) {
      runtime.phase = 'disabled';
      await checkpoint(true);
      await pause(pollMs, false);
      return;
    }
    if (held.redrivePending > 0) {
      runtime.phase = 'delivering';
      await redriveRound();
      return;
    }
    if (draining) await yieldToCallbacks(Math.min(maxYieldMs, deliveredInMs));
    const taken = await ahead.take(cursor);
    const batch = taken?.batch ?? (await read(cursor));
    if (batch.through === null) {
      draining = false;
      runtime.phase = 'idle';
      // Caught up, which under a steady stream is after nearly every batch: the cursor is written
      // when due, as while delivering, not at each catch-up (a write waits for the log's writer).
      const unwritten = await checkpoint(false);
      await pause(unwritten ? Math.min(pollMs, checkpointMs) : pollMs, true);
      return;
    }
    draining = batch.full;
    runtime.phase = 'delivering';
    const startedAt = now();
    const delivering = deliverWindow(batch.messages, taken?.sent ?? undefined);
    ahead.fill(batch, delivering);
    const result = await delivering;
    deliveredInMs = now() - startedAt;
    if (result.superseded) return;
    settle(result, batch.through, false);
    if (result.gone !== null) {
      await disable(result.gone);
      return;
    }
    await checkpoint(stopping);
    // Let callbacks and other sinks in between batches while a backlog drains.
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Reads the batch after `after`; an event committed after this read wakes the idle wait. */
  function read(after: number): Promise<Batch> {
    woken = false;
    return readBatch(log, settings, sdkAppIdOf, after);
  }

  /**
   * Waits up to `ms` while the recorder's commit queue is backed up, when the last batch was full
   * (a backlog drains): the relay shares the event loop with the callback endpoint, and the log
   * keeps everything for later (issue 6: a sink never slows the callback endpoint). The wait is as
   * long as the batch before took (at most `maxYieldMs`): the callbacks get at least as much time
   * as the relay, and the relay still gets half, so a backlog shrinks under steady traffic instead
   * of growing for as long as the recorder is busy. New events go out at once: their work keeps
   * the callbacks' own pace, and holding them back would only add to their delay.
   */
  async function yieldToCallbacks(ms: number): Promise<void> {
    const until = now() + ms;
    while (busy() && !stopping && now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  async function run(): Promise<void> {
    let errors = 0;
    while (!stopping) {
      try {
        await round();
        errors = 0;
      } catch (error) {
        if (stopping) break;
        errors++;
        runtime.lastError = (error as Error).message;
        logger.error('relay: delivery round failed', { sink: name, error });
        claim = null; // start again from what is stored
        await pause(backoffDelay(errors, settings.retry, random), false);
      }
    }
    try {
      await checkpoint(true);
      if (claim) await store.releaseLease(name, owner);
    } catch (error) {
      logger.warn('relay: could not write the last progress (it is sent again next time)', {
        sink: name,
        error,
      });
    }
    runtime.phase = 'stopped';
  }

  return {
    name,
    run,
    wake() {
      woken = true;
      if (waiter?.onEvents) waiter.resolve();
      ahead.wake();
    },
    refresh() {
      refreshWanted = true;
      waiter?.resolve();
    },
    stop() {
      stopping = true;
      abort.abort();
      waiter?.resolve();
    },
    runtime: () => ({ ...runtime }),
  };
}
