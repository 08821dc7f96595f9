import { Counter, Gauge, type Registry } from 'prom-client';
import type { PassState } from './pass-state.js';

/** REST call counters as the REST client keeps them (`RestClient.metrics()`). */
export interface RestCallCounts {
  calls: Record<string, Partial<Record<string, number>>>;
  rateLimitWaits: Record<string, { count: number; totalMs: number }>;
}

/**
 * Registers the mirror's metrics: REST calls by API and outcome and rate-limit waits (read from the
 * client at scrape time), groups scanned and drift found (counted from pass progress), and the
 * last pass's end time and duration. Returns the listener of pass progress.
 */
export function registerMirrorMetrics(
  registry: Registry,
  restCounts: (() => RestCallCounts) | undefined,
): (state: PassState) => void {
  const registers = [registry];
  if (restCounts) {
    new Counter({
      name: 'timhook_rest_calls_total',
      help: 'REST API calls (HTTP attempts) by API and outcome: ok, error, fatal, busy, over-limit, network, timeout, answer.',
      labelNames: ['api', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const [api, outcomes] of Object.entries(restCounts().calls)) {
          for (const [outcome, count] of Object.entries(outcomes)) this.inc({ api, outcome }, count ?? 0);
        }
      },
    });
    new Counter({
      name: 'timhook_rest_rate_limit_waits_total',
      help: 'REST calls that waited for their API rate limit, by API.',
      labelNames: ['api'],
      registers,
      collect() {
        this.reset();
        for (const [api, wait] of Object.entries(restCounts().rateLimitWaits)) this.inc({ api }, wait.count);
      },
    });
    new Counter({
      name: 'timhook_rest_rate_limit_wait_seconds_total',
      help: 'Time REST calls spent waiting for their API rate limit, by API.',
      labelNames: ['api'],
      registers,
      collect() {
        this.reset();
        for (const [api, wait] of Object.entries(restCounts().rateLimitWaits)) {
          this.inc({ api }, wait.totalMs / 1000);
        }
      },
    });
  }
  const scanned = new Counter({
    name: 'timhook_reconcile_scanned_total',
    help: 'Groups and topics reconciliation passes checked against the REST API, by kind.',
    labelNames: ['kind'],
    registers,
  });
  const drift = new Counter({
    name: 'timhook_reconcile_drift_total',
    help: 'Profiles found to differ from the REST API (vanished ones included), and those that could not be checked, by outcome: drifted, fixed, failed.',
    labelNames: ['outcome'],
    registers,
  });
  const lastEnd = new Gauge({
    name: 'timhook_reconcile_last_pass_timestamp_seconds',
    help: 'When the last reconciliation pass ended (Unix time); 0 before the first.',
    registers,
  });
  const lastDuration = new Gauge({
    name: 'timhook_reconcile_last_pass_duration_seconds',
    help: 'How long the last reconciliation pass took, from its start (resumes included) to its end.',
    registers,
  });
  let previous: PassState | null = null;
  return (state) => {
    const base = previous?.id === state.id ? previous : null;
    const delta = (key: 'scanned' | 'topicsScanned' | 'drifted' | 'fixed' | 'failed') =>
      Math.max(0, state[key] - (base?.[key] ?? 0));
    scanned.inc({ kind: 'group' }, delta('scanned'));
    scanned.inc({ kind: 'topic' }, delta('topicsScanned'));
    drift.inc({ outcome: 'drifted' }, delta('drifted'));
    drift.inc({ outcome: 'fixed' }, delta('fixed'));
    drift.inc({ outcome: 'failed' }, delta('failed'));
    if (state.status !== 'running' && state.finishedAt !== null) {
      lastEnd.set(state.finishedAt / 1000);
      lastDuration.set((state.finishedAt - state.startedAt) / 1000);
    }
    previous = state;
  };
}
