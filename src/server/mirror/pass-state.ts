/** Where a reconciliation pass stands; written to the mirror state after each step. */
export interface PassState {
  /** Names the pass; a resumed pass keeps its id. */
  id: string;
  status: 'running' | 'done' | 'failed';
  /** What started it: `timer`, `cli`, `api`. */
  trigger: string;
  startedAt: number;
  finishedAt: number | null;
  /** `groups`: walking `get_appid_group_list`; `sweep`: checking mirrored groups the walk did not list. */
  phase: 'groups' | 'sweep' | 'done';
  /** The `Next` cursor the current page was fetched with (`'0'`: the first page). */
  pageCursor: string;
  /** How many ids of the current page are done, in order (a resumed pass skips them). */
  pageDone: number;
  /** `TotalCount` of the group list, when known. */
  total: number | null;
  /** Groups of the app's list checked against the API. */
  scanned: number;
  /**
   * Mirrored groups the list did not hold (created since, or gone) checked after the walk; after a
   * resume, also those listed before the interruption (the pass does not keep every id it saw).
   */
  swept: number;
  /** Topics of the listed communities checked against the API (the sweep's are not counted). */
  topicsScanned: number;
  /** Profiles that differed from the API (fields, or a group or topic that no longer exists). */
  drifted: number;
  /** Profiles whose difference was recorded. */
  fixed: number;
  /** Profiles the mirror had not seen, recorded whole (`timhook.Snapshot`). */
  filled: number;
  /** Groups and topics closed because the API no longer has them (counted in `drifted`). */
  vanished: number;
  /** Groups and topics that could not be checked (a failed call); nothing of them was recorded. */
  failed: number;
  /** Why the pass stopped, when it failed. */
  error: string | null;
  /** How many times it was resumed after an interruption. */
  resumed: number;
}

/** The name of the pass document in the mirror state. */
export const PASS_STATE_KEY = 'reconcile-pass';

/** A new pass, nothing done. */
export function newPassState(trigger: string, now: number): PassState {
  return {
    id: `pass-${now}`,
    status: 'running',
    trigger,
    startedAt: now,
    finishedAt: null,
    phase: 'groups',
    pageCursor: '0',
    pageDone: 0,
    total: null,
    scanned: 0,
    swept: 0,
    topicsScanned: 0,
    drifted: 0,
    fixed: 0,
    filled: 0,
    vanished: 0,
    failed: 0,
    error: null,
    resumed: 0,
  };
}

/** The counts a step adds to a pass. */
export type PassCounts = Pick<
  PassState,
  'scanned' | 'topicsScanned' | 'drifted' | 'fixed' | 'filled' | 'vanished' | 'failed'
>;

/** No counts. */
export function zeroCounts(): PassCounts {
  return { scanned: 0, topicsScanned: 0, drifted: 0, fixed: 0, filled: 0, vanished: 0, failed: 0 };
}

/** Adds `counts` into `into`. */
export function addCounts(into: PassCounts, counts: PassCounts): void {
  into.scanned += counts.scanned;
  into.topicsScanned += counts.topicsScanned;
  into.drifted += counts.drifted;
  into.fixed += counts.fixed;
  into.filled += counts.filled;
  into.vanished += counts.vanished;
  into.failed += counts.failed;
}

/** Reads a stored pass document, null when it is not one. */
export function readPassState(value: unknown): PassState | null {
  if (typeof value !== 'object' || value === null) return null;
  const state = value as Partial<PassState>;
  if (typeof state.id !== 'string' || typeof state.pageCursor !== 'string') return null;
  return { ...newPassState(state.trigger ?? 'unknown', state.startedAt ?? 0), ...state };
}
