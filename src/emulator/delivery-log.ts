/**
 * How one delivery attempt ended: `ok` (HTTP 200, `ActionStatus` OK), `fail` (HTTP 200, `FAIL`),
 * `http-error` (another status), `bad-answer` (200 but not the JSON envelope), `timeout` (no full
 * answer within the timeout), `error` (no answer: connection refused, reset, …), `dropped` (never
 * sent: lost on purpose by the `dropCallbacks` fault switch).
 */
export type DeliveryOutcome = 'ok' | 'fail' | 'http-error' | 'bad-answer' | 'timeout' | 'error' | 'dropped';

/** One attempt to deliver one callback, as `GET /emulator/deliveries` lists it. */
export interface DeliveryRecord {
  /** Increases with every attempt. */
  id: number;
  /** The callback; its retries share it. */
  callbackId: number;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
  command: string;
  groupId: string;
  /** The URL called, with `Sign` left out (`RequestTime` kept). */
  url: string;
  /** ISO time the attempt started. */
  startedAt: string;
  latencyMs: number;
  /** HTTP status, `null` when none came. */
  status: number | null;
  outcome: DeliveryOutcome;
  /** The receiver's `ActionStatus`, `null` when the answer had none. */
  actionStatus: string | null;
  /** The receiver's answer: parsed JSON, or the text (cut at 1 KiB) when it is not JSON. */
  answer: unknown;
  /** What went wrong, `null` when an answer came. */
  error: string | null;
  /** The callback body sent. */
  body: Record<string, unknown>;
}

/** Which records {@link DeliveryLog.list} returns. */
export interface DeliveryFilter {
  limit?: number;
  command?: string;
  groupId?: string;
  callbackId?: number;
  outcome?: DeliveryOutcome;
}

/** A bounded, newest-first record of delivery attempts, with listeners. */
export interface DeliveryLog {
  add(record: DeliveryRecord): void;
  list(filter?: DeliveryFilter): DeliveryRecord[];
  clear(): void;
  /** Calls `listener` after every attempt; returns the unsubscribe function. */
  subscribe(listener: (record: DeliveryRecord) => void): () => void;
  readonly size: number;
}

/** A log that keeps the last `capacity` attempts. */
export function createDeliveryLog(
  capacity: number,
  log: (message: string, error: unknown) => void,
): DeliveryLog {
  const ring: DeliveryRecord[] = [];
  let next = 0;
  const listeners = new Set<(record: DeliveryRecord) => void>();
  return {
    add(record) {
      if (capacity > 0) {
        if (ring.length < capacity) ring.push(record);
        else ring[next] = record;
        next = (next + 1) % capacity;
      }
      for (const listener of listeners) {
        try {
          listener(record);
        } catch (error) {
          log('[timhook] a delivery listener threw', error);
        }
      }
    },
    list(filter = {}) {
      const { limit = 100, command, groupId, callbackId, outcome } = filter;
      const out: DeliveryRecord[] = [];
      for (let i = 1; i <= ring.length && out.length < limit; i++) {
        const record = ring[(next - i + ring.length) % ring.length]!;
        if (command !== undefined && record.command !== command) continue;
        if (groupId !== undefined && record.groupId !== groupId) continue;
        if (callbackId !== undefined && record.callbackId !== callbackId) continue;
        if (outcome !== undefined && record.outcome !== outcome) continue;
        out.push(record);
      }
      return out;
    },
    clear() {
      ring.length = 0;
      next = 0;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get size() {
      return ring.length;
    },
  };
}
