import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The recorder's Prometheus metrics, on a registry of its own (several recorders per process in tests). */
export interface RecorderMetrics {
  registry: Registry;
  accepted: Counter<'command'>;
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
  return {
    registry,
    accepted: new Counter({
      name: 'timhook_callbacks_accepted_total',
      help: 'Callbacks verified and durably recorded (duplicates included), by command.',
      labelNames: ['command'],
      ...common,
    }),
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
