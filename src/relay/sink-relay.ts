import type { ChangeLog, DeadLetter, RecordedEvent, RelaySinkState, RelayState } from '../store/index.js';
import { backoffDelay } from './backoff.js';
import { deliverWithRetries, type WindowResult } from './deliver-window.js';
import { isDeadLocalOwner } from './lease-owner.js';
import { toRelayMessage } from './message.js';
import type { RelayLogger, RelayObserver, RelayTiming, SinkRuntime } from './relay-types.js';
import type { RelayMessage, Sink } from './sink.js';
import { matchesSinkFilter, type SinkSettings } from './sink-config.js';

/** What one sink's loop needs. */
export interface SinkRelayOptions {
  sink: Sink;
  settings: SinkSettings;
  log: ChangeLog;
  state: RelayState;
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

/** A batch read from the log: the messages to send, and the last seq read (null: nothing new). */
interface Batch {
  messages: RelayMessage[];
  through: number | null;
  full: boolean;
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
 * event of it is delivered or dead-lettered. A failed event is retried with exponential backoff and
 * jitter, the batch waiting behind it (order); after `retry.maxAttempts` it is dead-lettered and
 * the loop moves on. An unreachable sink waits without limit and dead-letters nothing. The cursor
 * is written at most every `checkpointMs` (a crash re-sends at most that much, with the same ids)
 * and only while this instance holds the sink's lease and no operator action intervened (epoch).
 */
export function createSinkRelay(options: SinkRelayOptions): SinkRelay {
  const { sink, settings, log, state: store, owner, logger, observer } = options;
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
  // The next batch, read and serialized while the sink works on the current one (see `round`).
  let prefetched: { after: number; batch: Promise<Batch | null> } | null = null;
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
    }
    claim = granted;
    runtime.cursor = cursor;
    return true;
  }

  /** Writes the cursor and dead letters when due (always with `force`), if still entitled to. */
  async function checkpoint(force: boolean): Promise<void> {
    if (!claim) return;
    const dirty =
      cursor !== claim.cursor ||
      pending.delivered > 0 ||
      pending.deadLetters.length > 0 ||
      pending.redriven.length > 0;
    if (!dirty || (!force && now() - checkpointedAt < checkpointMs)) return;
    const written = await store.commitProgress(name, { epoch: claim.epoch, owner }, { cursor, ...pending });
    checkpointedAt = now();
    pending = emptyPending();
    if (written) {
      claim = { ...claim, cursor };
    } else {
      claim = null; // an operator action or another instance: re-read before going on
      refreshWanted = true;
    }
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
  function deliverWindow(messages: readonly RelayMessage[]): Promise<WindowResult> {
    return deliverWithRetries(messages, {
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
    });
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
      const events = await readEvents(letters.map((letter) => letter.seq));
      const found = new Set(events.map((event) => event.seq));
      // A letter whose event is not in the log any more has nothing to send: drop it.
      pending.redriven.push(...letters.filter((letter) => !found.has(letter.seq)).map((l) => l.seq));
      const result = await deliverWindow(events.map((event) => toRelayMessage(event, settings.payload)));
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

  /** Reads the events of `seqs` (ascending) from the log, a range at a time. */
  async function readEvents(seqs: readonly number[]): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    for (let i = 0; i < seqs.length;) {
      const first = seqs[i]!;
      let j = i;
      while (j + 1 < seqs.length && seqs[j + 1]! - first < 1000) j++;
      const wanted = new Set(seqs.slice(i, j + 1));
      const page = await log.listEvents({ after: first - 1, limit: seqs[j]! - first + 1, order: 'asc' });
      events.push(...page.events.filter((event) => wanted.has(event.seq)));
      i = j + 1;
    }
    return events;
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
    await yieldToCallbacks();
    const batch = (await takePrefetched(cursor)) ?? (await readBatch(cursor));
    if (batch.through === null) {
      runtime.phase = 'idle';
      await checkpoint(true);
      await pause(pollMs, true);
      return;
    }
    runtime.phase = 'delivering';
    const delivering = deliverWindow(batch.messages);
    // A full batch: more is waiting. Read and serialize it while the sink works on this one (its
    // writes go out first: setImmediate), so our CPU and the sink's overlap. Sending stays in order.
    if (batch.full) {
      const after = batch.through;
      prefetched = {
        after,
        batch: new Promise((resolve) => setImmediate(resolve)).then(
          () => readBatch(after),
          () => null,
        ),
      };
      prefetched.batch.catch(() => {});
    }
    const result = await delivering;
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

  /**
   * Waits (up to `maxYieldMs`) while the recorder's commit queue is backed up: the relay shares
   * the event loop with the callback endpoint, and the log keeps everything for later (issue 6: a
   * sink never slows the callback endpoint).
   */
  async function yieldToCallbacks(): Promise<void> {
    const until = now() + maxYieldMs;
    while (busy() && !stopping && now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** Reads the events after `after` and builds the messages of those the filter lets through. */
  async function readBatch(after: number): Promise<Batch> {
    woken = false; // an event committed after this read wakes the idle wait
    const page = await log.listEvents({ after, limit: settings.batchSize, order: 'asc' });
    const messages: RelayMessage[] = [];
    for (const event of page.events) {
      if (matchesSinkFilter(settings.filter, event)) messages.push(toRelayMessage(event, settings.payload));
    }
    const last = page.events[page.events.length - 1];
    return { messages, through: last ? last.seq : null, full: page.events.length === settings.batchSize };
  }

  /** The prefetched batch, when it was read after `after` (the cursor may have moved since). */
  async function takePrefetched(after: number): Promise<Batch | null> {
    const taken = prefetched;
    prefetched = null;
    if (!taken || taken.after !== after) return null;
    return taken.batch.catch(() => null);
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
