import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RelayObserver, SinkStatus } from '../relay/index.js';

/** The recorder's Prometheus metrics, on a registry of its own (several recorders per process in tests). */
export interface RecorderMetrics {
  registry: Registry;
  accepted: Counter<'command'>;
  /**
   * Counts one accepted callback of `command`: tallied in a map and added to `accepted` when it is
   * read, so that a callback does not pay for prom-client's label hashing and checks.
   */
  countAccepted(command: string): void;
  refused: Counter<'reason'>;
  duplicates: Counter;
  commitBatch: Histogram;
  commitSeconds: Histogram;
  queueDepth: Gauge;
  sseClients: Gauge;
  logEvents: Gauge;
  logBytes: Gauge;
}

/** Creates the metrics; `collect` fills the gauges read at scrape time. */
export function createRecorderMetrics(collect: {
  queueDepth: () => number;
  sseClients: () => number;
  logStats: () => Promise<{ events: number; bytes: number }>;
}): RecorderMetrics {
  const registry = new Registry();
  const common = { registers: [registry] };
  const acceptedSinceRead = new Map<string, number>();
  return {
    registry,
    accepted: new Counter({
      name: 'timhook_callbacks_accepted_total',
      help: 'Callbacks verified and durably recorded (duplicates included), by command.',
      labelNames: ['command'],
      collect() {
        for (const [command, count] of acceptedSinceRead) this.inc({ command }, count);
        acceptedSinceRead.clear();
      },
      ...common,
    }),
    countAccepted(command) {
      acceptedSinceRead.set(command, (acceptedSinceRead.get(command) ?? 0) + 1);
    },
    refused: new Counter({
      name: 'timhook_callbacks_refused_total',
      help: 'Callbacks answered FAIL, by reason (the refusal code).',
      labelNames: ['reason'],
      ...common,
    }),
    duplicates: new Counter({
      name: 'timhook_callbacks_duplicate_total',
      help: 'Callbacks that were re-deliveries of one already logged.',
      ...common,
    }),
    commitBatch: new Histogram({
      name: 'timhook_commit_batch_size',
      help: 'Events per group commit.',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      ...common,
    }),
    commitSeconds: new Histogram({
      name: 'timhook_commit_duration_seconds',
      help: 'Time of one group commit, including fsync.',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      ...common,
    }),
    queueDepth: new Gauge({
      name: 'timhook_commit_queue_depth',
      help: 'Callbacks waiting for a commit.',
      collect() {
        this.set(collect.queueDepth());
      },
      ...common,
    }),
    sseClients: new Gauge({
      name: 'timhook_sse_clients',
      help: 'Open /api/stream connections.',
      collect() {
        this.set(collect.sseClients());
      },
      ...common,
    }),
    logEvents: new Gauge({
      name: 'timhook_log_events',
      help: 'Events in the change log.',
      async collect() {
        this.set((await collect.logStats()).events);
      },
      ...common,
    }),
    logBytes: new Gauge({
      name: 'timhook_log_bytes',
      help: 'Size of the change log database, bytes.',
      async collect() {
        this.set((await collect.logStats()).bytes);
      },
      ...common,
    }),
  };
}

/**
 * Per-sink relay metrics on `registry`: the returned observer counts deliveries, failures and dead
 * letters as they happen; lag and the dead-letter list are read from `status` at scrape time.
 */
export function createRelayMetrics(registry: Registry, status: () => Promise<SinkStatus[]>): RelayObserver {
  const common = { registers: [registry], labelNames: ['sink'] as const };
  // One status read serves every gauge of a scrape (prom-client collects them together).
  let last: { at: number; read: Promise<SinkStatus[]> } | null = null;
  const read = () => {
    if (!last || Date.now() - last.at > 100) last = { at: Date.now(), read: status() };
    return last.read;
  };
  const gauge = (name: string, help: string, pick: (s: SinkStatus) => number) =>
    new Gauge({
      name,
      help,
      async collect() {
        this.reset();
        for (const sink of await read()) this.set({ sink: sink.sink }, pick(sink));
      },
      ...common,
    });
  gauge('timhook_relay_lag_events', 'Events in the log after the sink’s cursor.', (s) => s.lagEvents);
  gauge(
    'timhook_relay_lag_seconds',
    'Age of the oldest event the sink has not delivered, seconds.',
    (s) => s.lagSeconds,
  );
  gauge('timhook_relay_dead_letters', 'Events in the sink’s dead-letter list.', (s) => s.deadLetters);
  gauge('timhook_relay_disabled', '1 while the sink is disabled (HTTP 410, or by an operator).', (s) =>
    s.disabled ? 1 : 0,
  );
  const delivered = new Counter({
    name: 'timhook_relay_delivered_total',
    help: 'Events the sink acknowledged (re-sends included).',
    ...common,
  });
  const failures = new Counter({
    name: 'timhook_relay_failures_total',
    help: 'Failed delivery attempts (refused, timed out, or sink unreachable).',
    ...common,
  });
  const deadLettered = new Counter({
    name: 'timhook_relay_dead_lettered_total',
    help: 'Events given up on after the sink’s retry limit.',
    ...common,
  });
  const delay = new Histogram({
    name: 'timhook_relay_delivery_delay_seconds',
    help: 'From the callback’s arrival to the sink’s acknowledgement, seconds (first delivery and re-sends).',
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300],
    ...common,
  });
  return {
    delivered(sink, events, at) {
      delivered.inc({ sink }, events.length);
      for (const event of events) delay.observe({ sink }, Math.max(0, (at - event.receivedAt) / 1000));
    },
    failed(sink, count) {
      failures.inc({ sink }, count);
    },
    deadLettered(sink, count) {
      deadLettered.inc({ sink }, count);
    },
  };
}
