/**
 * Whether a change log can write, for any store. A store that knows its faults exposes a
 * {@link StoreHealth} as `ChangeLog.health`: the callback endpoint answers its refusal as a 503
 * FAIL, `/readyz` names the fault, and the recorder logs each change of state once.
 */

/**
 * What keeps a store from writing: `disk_full` (no space left), `io_error` (the disk refused a
 * write or an fsync), `file_gone` (the database file was deleted or replaced while open),
 * `unreachable` (a database server cannot be reached).
 */
export type StoreFault = 'disk_full' | 'io_error' | 'file_gone' | 'unreachable';

/** A store's state: writing, or refusing because of `fault`. */
export type StoreStatus =
  | { state: 'ok' }
  | {
      state: 'fault';
      fault: StoreFault;
      /** What a client is told (the callback's `ErrorInfo`): no path, no host, no secret. */
      message: string;
      /** True when only a restart clears it; false when the store recovers by itself. */
      lasting: boolean;
      /** When it started, ms since the epoch. */
      since: number;
      /** The error that showed it, for the log. */
      cause: unknown;
    };

/** Read side of a store's health (`ChangeLog.health`). */
export interface StoreHealth {
  status(): StoreStatus;
  /** Calls `listener` on each change of state (ok → fault, fault → ok, one fault → another). */
  onChange(listener: (status: StoreStatus) => void): () => void;
}

/** An append refused because the store cannot write; `message` is fit for a client. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  readonly fault: StoreFault;

  constructor(fault: StoreFault, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.fault = fault;
  }
}

/** A store's own handle on its health: it records faults and recoveries, readers see `StoreHealth`. */
export interface StoreHealthTracker extends StoreHealth {
  /**
   * Records `fault` (a lasting fault already recorded stays) and returns the error to refuse the
   * append with.
   */
  fail(
    fault: StoreFault,
    cause: unknown,
    options: { lasting: boolean; message?: string },
  ): StoreUnavailableError;
  /** Back to ok, unless the fault in force is lasting. */
  recover(): void;
  /** The error for the fault in force, or null while ok. */
  refusal(): StoreUnavailableError | null;
}

const MESSAGES: Record<StoreFault, string> = {
  disk_full: 'the change log cannot be written: the disk is full',
  io_error: 'the change log cannot be written: the disk reported an I/O error; restart timhook',
  file_gone: 'the change log cannot be written: its database file was deleted or replaced; restart timhook',
  unreachable: 'the change log cannot be written: the database cannot be reached',
};

/** Creates a store's health, ok at first. */
export function createStoreHealth(): StoreHealthTracker {
  let current: StoreStatus = { state: 'ok' };
  const listeners = new Set<(status: StoreStatus) => void>();

  function set(next: StoreStatus): void {
    current = next;
    for (const listener of listeners) {
      try {
        listener(next);
      } catch {
        // A listener's failure must not stop the store.
      }
    }
  }

  function refusal(): StoreUnavailableError | null {
    if (current.state === 'ok') return null;
    return new StoreUnavailableError(current.fault, current.message, { cause: current.cause });
  }

  return {
    status: () => current,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    fail(fault, cause, { lasting, message = MESSAGES[fault] }) {
      const held = current.state === 'fault' && (current.lasting || current.fault === fault);
      if (!held) set({ state: 'fault', fault, message, lasting, since: Date.now(), cause });
      return refusal()!;
    },
    recover() {
      if (current.state === 'fault' && !current.lasting) set({ state: 'ok' });
    },
    refusal,
  };
}
