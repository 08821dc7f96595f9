import type { PendingCallback } from './callback-bodies.js';
import type { DeliveryLog, DeliveryRecord } from './delivery-log.js';
import {
  type AttemptResult,
  type CallbackTarget,
  createCallbackPoster,
  createSigner,
  resolveTarget,
} from './post-callback.js';

/** A callback ready to leave: its body, where it goes, and the URL parameters of its origin. */
export interface CallbackJob extends PendingCallback {
  url: string;
  token: string | null;
  sdkAppId: string;
  optPlatform: string;
  clientIp: string;
}

/** The delivery settings read at each attempt (they can change at run time). */
export interface DeliverySettings {
  timeoutMs: number;
  retryOnTimeout: number;
  retryIntervalMs: number;
  contentType: string | null;
}

/** Sends callbacks: in order per group, groups in parallel, over kept-alive connections. */
export interface Dispatcher {
  enqueue(job: CallbackJob): void;
  /** Loses `job` on purpose: it is logged as `dropped` and never sent. */
  drop(job: CallbackJob): void;
  /** Resolves once every queued callback has been delivered or given up. */
  idle(): Promise<void>;
  /** Callbacks queued or in flight. */
  readonly pending: number;
  /** Callbacks lost on purpose since the start (the delivery log keeps only the latest). */
  readonly dropped: number;
  /** Drops queued callbacks, aborts those in flight, closes every connection. */
  close(): void;
}

/** What {@link createDispatcher} needs. */
export interface DispatcherOptions {
  settings: () => DeliverySettings;
  log: DeliveryLog;
  now: () => number;
  /** Most connections open to the receiver at once. */
  maxSockets: number;
}

/**
 * Creates the callback dispatcher (docs/protocol.md §1): persistent connections, a 2 s timeout by
 * default, no retry unless `retryOnTimeout` is set, and per group one callback at a time, in the
 * order the changes were made; different groups go in parallel.
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const poster = createCallbackPoster(options.maxSockets);
  const sign = createSigner();
  const queues = new Map<string, CallbackJob[]>();
  const timers = new Set<NodeJS.Timeout>();
  let idleWaiters: Array<() => void> = [];
  let pending = 0;
  let dropped = 0;
  let nextCallbackId = 1;
  let nextAttemptId = 1;
  let closed = false;

  function enqueue(job: CallbackJob): void {
    if (closed) return;
    pending++;
    const queue = queues.get(job.groupId);
    if (queue) {
      queue.push(job);
      return;
    }
    const fresh = [job];
    queues.set(job.groupId, fresh);
    void drain(job.groupId, fresh);
  }

  // One drain loop per group with callbacks waiting: the next leaves only once the previous one
  // has been answered (or given up), so a group's callbacks arrive in the order of its changes.
  async function drain(groupId: string, queue: CallbackJob[]): Promise<void> {
    while (queue.length > 0 && !closed) {
      await deliver(queue[0]!, nextCallbackId++);
      queue.shift();
      if (!closed) settleOne();
    }
    if (queues.get(groupId) === queue) queues.delete(groupId);
  }

  function settleOne(): void {
    pending--;
    if (pending === 0) wakeIdleWaiters();
  }

  function wakeIdleWaiters(): void {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async function deliver(job: CallbackJob, callbackId: number): Promise<void> {
    const text = JSON.stringify(job.body);
    const target = resolveTarget(job.url, job);
    for (let attempt = 1; !closed; attempt++) {
      const settings = options.settings();
      const started = options.now();
      // Every attempt, a retry too, is signed with its own RequestTime (docs/protocol.md §1).
      const requestTime = Math.floor(started / 1000);
      const signed = job.token ? `&Sign=${sign(job.token, requestTime)}&RequestTime=${requestTime}` : '';
      const t0 = performance.now();
      const result = await poster.post(target, target.path + signed, text, settings);
      const latency = performance.now() - t0;
      options.log.add(recordOf(job, callbackId, attempt, target, requestTime, started, latency, result));
      // Only a timeout is retried, as the console's retry-on-timeout option does (docs/protocol.md §1).
      if (result.outcome !== 'timeout' || attempt > settings.retryOnTimeout) return;
      if (settings.retryIntervalMs > 0) await delay(settings.retryIntervalMs);
    }
  }

  function recordOf(
    job: CallbackJob,
    callbackId: number,
    attempt: number,
    target: CallbackTarget,
    requestTime: number,
    started: number,
    latency: number,
    result: AttemptResult,
  ): DeliveryRecord {
    return {
      id: nextAttemptId++,
      callbackId,
      attempt,
      command: job.command,
      groupId: job.groupId,
      // The URL as sent, less the Sign: enough to see where it went, nothing to replay it with.
      url: `${target.origin}${target.path}${job.token ? `&RequestTime=${requestTime}` : ''}`,
      startedAt: new Date(started).toISOString(),
      latencyMs: Math.round(latency * 100) / 100,
      ...result,
      body: job.body,
    };
  }

  function delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  function drop(job: CallbackJob): void {
    if (closed) return;
    dropped++;
    const target = resolveTarget(job.url, job);
    options.log.add({
      id: nextAttemptId++,
      callbackId: nextCallbackId++,
      attempt: 1,
      command: job.command,
      groupId: job.groupId,
      url: `${target.origin}${target.path}`,
      startedAt: new Date(options.now()).toISOString(),
      latencyMs: 0,
      status: null,
      outcome: 'dropped',
      actionStatus: null,
      answer: null,
      error: 'dropped on purpose (dropCallbacks)',
      body: job.body,
    });
  }

  return {
    enqueue,
    drop,
    idle() {
      return pending === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
    },
    get pending() {
      return pending;
    },
    get dropped() {
      return dropped;
    },
    close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      queues.clear();
      pending = 0;
      poster.close();
      wakeIdleWaiters();
    },
  };
}
