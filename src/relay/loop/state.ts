import type { ChangeLog, RelaySinkState, RelayState } from '../../store/index.js';
import { type Batch, readBatch } from '../read-batch.js';
import type { RelayLogger, RelayObserver, RelayTiming, SinkRuntime } from '../relay-types.js';
import type { Sink } from '../sink.js';
import type { SinkSettings } from '../sink-config.js';
import { emptyPending, type Pending } from './progress.js';
import { createReadAhead, type ReadAhead } from './read-ahead.js';

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

/** A wait of the loop that `wake`, `refresh` and `stop` cut short. */
interface Waiter {
  resolve: () => void;
  /** New events end it too. */
  onEvents: boolean;
}

/** One sink's delivery loop: what it was given, and where it is. Every loop function takes it. */
export interface SinkLoop {
  readonly sink: Sink;
  readonly settings: SinkSettings;
  readonly name: string;
  readonly log: ChangeLog;
  readonly store: RelayState;
  readonly sdkAppIdOf: (seq: number) => Promise<string>;
  readonly owner: string;
  readonly logger: RelayLogger;
  readonly observer: RelayObserver | undefined;
  readonly timing: Required<RelayTiming>;
  readonly busy: () => boolean;
  readonly now: () => number;
  readonly random: () => number;
  /** Aborted by `stop`: cuts short what the sink has in flight. */
  readonly abort: AbortController;
  readonly ahead: ReadAhead;
  readonly runtime: SinkRuntime;
  stopping: boolean;
  /** Events were committed since the last read. */
  woken: boolean;
  /** An operator action (or a refused checkpoint): read the stored state before going on. */
  refreshWanted: boolean;
  waiter: Waiter | null;
  /** The stored state as last read while holding the lease; null when not holding it. */
  claim: RelaySinkState | null;
  /** Every event up to here is delivered or dead-lettered (in memory; see `checkpoint`). */
  cursor: number;
  renewedAt: number;
  /** Progress not written yet. */
  pending: Pending;
  checkpointedAt: number;
  /** The last delivery failed: nothing is sent ahead until one goes through. */
  failing: boolean;
  /** The sink's row is in the store. */
  ensured: boolean;
  /** The last batch filled `batchSize`: a backlog is being worked off (see `yieldToCallbacks`). */
  draining: boolean;
  /** How long the last batch took to deliver, ms. */
  deliveredInMs: number;
}

/** The state of a sink's loop before its first round. */
export function createSinkLoop(options: SinkRelayOptions): SinkLoop {
  const { sink, settings, log, state: store, sdkAppIdOf, owner, logger, observer } = options;
  const { now = Date.now, random = Math.random, busy = () => false } = options;
  const {
    pollMs = 1000,
    leaseTtlMs = 15_000,
    checkpointMs = 250,
    maxRetryAfterMs = 3_600_000,
    maxYieldMs = 500,
  } = options.timing ?? {};
  const abort = new AbortController();
  const loop: SinkLoop = {
    sink,
    settings,
    name: settings.name,
    log,
    store,
    sdkAppIdOf,
    owner,
    logger,
    observer,
    timing: { pollMs, leaseTtlMs, checkpointMs, maxRetryAfterMs, maxYieldMs },
    busy,
    now,
    random,
    abort,
    ahead: createReadAhead({
      sink,
      signal: abort.signal,
      read: (after) => readAfter(loop, after),
      isWoken: () => loop.woken,
      // Not while the sink fails: a batch sent ahead could reach it before the retries.
      maySend: () => !loop.failing && !loop.stopping,
      isStopping: () => loop.stopping,
    }),
    runtime: { phase: 'starting', cursor: null, lastError: null, nextAttemptAt: null },
    stopping: false,
    woken: false,
    refreshWanted: false,
    waiter: null,
    claim: null,
    cursor: 0,
    renewedAt: 0,
    pending: emptyPending(),
    checkpointedAt: 0,
    failing: false,
    ensured: false,
    draining: false,
    deliveredInMs: 0,
  };
  return loop;
}

/** Reads the batch after `after`; an event committed after this read wakes the idle wait. */
export function readAfter(loop: SinkLoop, after: number): Promise<Batch> {
  loop.woken = false;
  return readBatch(loop.log, loop.settings, loop.sdkAppIdOf, after);
}

/** Waits `ms`, or less: on stop, on an operator action, and on new events when `onEvents`. */
export function pause(loop: SinkLoop, ms: number, onEvents: boolean): Promise<void> {
  if (loop.stopping || loop.refreshWanted || (onEvents && loop.woken)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      loop.waiter = null;
      resolve();
    }
    loop.waiter = { resolve: done, onEvents };
  });
}
