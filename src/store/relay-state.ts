/**
 * What the relay keeps per sink, next to the change log it reads: the cursor, dead
 * letters, the disabled flag, the last error and, for several recorders on one database,
 * the lease that lets one instance at a time deliver a sink.
 *
 * Concurrency model, the same on every database:
 * - `epoch` changes with every operator action (replay, redrive, enable, disable). The delivering
 *   loop writes its progress only while `epoch` and its lease are what it last read
 *   (compare-and-set), so an action taken from another process (the CLI on the database file, or
 *   another instance) is never overwritten: the loop's write is refused and it reloads.
 * - A lease is held by `owner` until `leaseExpiresAt`; only the holder's progress is accepted.
 */
export interface RelaySinkState {
  sink: string;
  /** Every event with `seq <= cursor` has been delivered, filtered out or dead-lettered. */
  cursor: number;
  /** Bumped by every operator action; see the interface's comment. */
  epoch: number;
  /** When a sink disabled itself (HTTP 410) or was disabled; null while enabled. */
  disabledAt: number | null;
  disabledReason: string | null;
  lastError: string | null;
  lastErrorAt: number | null;
  lastDeliveredAt: number | null;
  /** Events delivered since the sink was first seen. */
  delivered: number;
  /** Dead letters waiting, and how many of them an operator asked to re-drive. */
  deadLetters: number;
  redrivePending: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
}

/** An event a sink gave up on after its retry limit. The event itself stays in the log. */
export interface DeadLetter {
  seq: number;
  attempts: number;
  error: string;
  firstFailedAt: number;
  failedAt: number;
  /** An operator asked to deliver it again (`redrive`); cleared once delivered or failed again. */
  redrive: boolean;
}

/** What the delivering loop read last: its write is accepted only while both still hold. */
export interface RelayClaim {
  epoch: number;
  owner: string;
}

/** Progress of one delivered window, written in one transaction. */
export interface RelayProgress {
  /** The new cursor (never below the stored one unless an operator moved it, see `epoch`). */
  cursor: number;
  delivered: number;
  deliveredAt: number | null;
  /**
   * Events given up on in this window. A letter already in the list (a re-driven one that failed
   * again) keeps its first failure; its attempts are added; it is no longer marked to re-drive.
   */
  deadLetters: readonly DeadLetter[];
  /** Re-driven dead letters that were delivered: removed from the list. */
  redriven: readonly number[];
}

/**
 * The relay's state store: `sqlite/relay-state.ts` and `postgres/relay-state.ts`, one contract, the
 * rows and SQL they share in `relay-state-rows.ts` (progress is a conditional `UPDATE … WHERE
 * epoch = ? AND lease_owner = ?`); PostgreSQL judges leases by the database's clock.
 */
export interface RelayState {
  /** Reads a sink, creating it at `initialCursor` when it was never seen. */
  ensureSink(sink: string, initialCursor: number): Promise<RelaySinkState>;
  getSink(sink: string): Promise<RelaySinkState | null>;
  listSinks(): Promise<RelaySinkState[]>;
  /**
   * Takes or renews the lease of `sink` for `ttlMs`: granted when it is free, expired, already
   * `owner`'s, or held by `evict` (a holder known to be dead). Resolves with the state when
   * granted, null when another owner holds it.
   */
  acquireLease(sink: string, owner: string, ttlMs: number, evict?: string): Promise<RelaySinkState | null>;
  releaseLease(sink: string, owner: string): Promise<void>;
  /** Writes a window's progress; false (nothing written) when `claim` no longer holds. */
  commitProgress(sink: string, claim: RelayClaim, progress: RelayProgress): Promise<boolean>;
  /** Records a failure (only information: written whatever the epoch; kept, with its time). */
  recordError(sink: string, error: string, at: number): Promise<void>;
  /** Operator: moves the cursor (back to replay, or forward to skip). Bumps `epoch`. */
  setCursor(sink: string, cursor: number): Promise<RelaySinkState | null>;
  /** Operator: marks every dead letter of `sink` to be delivered again. Bumps `epoch`. */
  redrive(sink: string): Promise<number>;
  /** Disables (`reason`) or enables (null) a sink. Bumps `epoch` when it changes anything. */
  setDisabled(sink: string, reason: string | null, at: number): Promise<RelaySinkState | null>;
  /** Dead letters of `sink`, oldest first, after `after`; only those marked to re-drive with `redrive`. */
  listDeadLetters(
    sink: string,
    query: { after?: number; limit: number; redrive?: boolean },
  ): Promise<DeadLetter[]>;
  close(): Promise<void>;
}
