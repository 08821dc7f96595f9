import type { RenderedEvent } from '../store/index.js';

/** A structured logger (the recorder's fits). */
export interface RelayLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Told of deliveries and failures as they happen (the recorder feeds its metrics from it). */
export interface RelayObserver {
  delivered(sink: string, events: readonly RenderedEvent[], at: number): void;
  failed(sink: string, count: number): void;
  deadLettered(sink: string, count: number): void;
}

/** What a sink's loop is doing. `standby`: another instance holds the sink's lease. */
export type SinkPhase =
  'starting' | 'delivering' | 'idle' | 'retrying' | 'unreachable' | 'disabled' | 'standby' | 'stopped';

/** A sink loop's live view, fresher than the stored state. */
export interface SinkRuntime {
  phase: SinkPhase;
  /** The in-memory cursor (written to the store every `checkpointMs`); null until the lease is held. */
  cursor: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
}

/** How often the loop looks at the store. */
export interface RelayTiming {
  /** Idle re-check of the log and the stored state (operator actions from the CLI), ms. Default 1000. */
  pollMs?: number;
  /** Lease length, ms; renewed every `pollMs`. Default 15000. */
  leaseTtlMs?: number;
  /** Longest the cursor stays unwritten while delivering, ms. Default 250. */
  checkpointMs?: number;
  /** Longest a `Retry-After` is honoured, ms. Default 3600000. */
  maxRetryAfterMs?: number;
  /**
   * Longest a batch of a backlog waits while the recorder is under pressure (see
   * `RelayOptions.busy`): it waits as long as the batch before took, up to this, ms. Default 500.
   */
  maxYieldMs?: number;
}
