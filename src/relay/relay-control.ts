import type { ChangeLog, DeadLetter, RelaySinkState, RelayState } from '../store/index.js';
import type { SinkPhase, SinkRuntime } from './relay-types.js';

/** One sink as `timhook relay status` and `GET /api/relay` show it. */
export interface SinkStatus {
  sink: string;
  /** `http`, `nats`, `redis`, `rabbitmq`; null for a sink in the database but not in the config. */
  type: string | null;
  /** What its loop does in this process; null when it does not run here (read from the database). */
  phase: SinkPhase | null;
  cursor: number;
  lastSeq: number;
  /** Events in the log after the cursor (those the sink's filter skips included). */
  lagEvents: number;
  /** Age of the oldest event not yet delivered, seconds; 0 when caught up. */
  lagSeconds: number;
  delivered: number;
  deadLetters: number;
  redrivePending: number;
  disabled: boolean;
  disabledReason: string | null;
  disabledAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  lastDeliveredAt: number | null;
  nextAttemptAt: number | null;
  leaseOwner: string | null;
}

/** Where a replay starts: a seq, or the first event received at or after a time (ms). */
export type ReplayTarget = { from: number } | { since: number };

/** An operator action that cannot be done; `code` and `status` for the JSON API. */
export class RelayControlError extends Error {
  override name = 'RelayControlError';
  constructor(
    readonly code: 'unknown_sink' | 'bad_request',
    message: string,
    readonly status = code === 'unknown_sink' ? 404 : 400,
  ) {
    super(message);
  }
}

async function requireSink(state: RelayState, sink: string): Promise<RelaySinkState> {
  const found = await state.getSink(sink);
  if (!found) {
    throw new RelayControlError(
      'unknown_sink',
      `no sink named ${JSON.stringify(sink)} has run against this database`,
    );
  }
  return found;
}

/**
 * Moves a sink's cursor so that delivery goes on from `target` (back to replay, forward to skip).
 * The running loop sees the new epoch and starts over from there; already-delivered events go
 * again with the same ids.
 */
export async function replaySink(
  log: ChangeLog,
  state: RelayState,
  sink: string,
  target: ReplayTarget,
): Promise<RelaySinkState> {
  await requireSink(state, sink);
  let cursor: number;
  if ('from' in target) {
    if (!Number.isSafeInteger(target.from) || target.from < 1) {
      throw new RelayControlError('bad_request', 'from must be a seq, 1 or more');
    }
    cursor = target.from - 1;
  } else {
    if (!Number.isFinite(target.since)) throw new RelayControlError('bad_request', 'since must be a time');
    const first = await log.listRendered({ since: target.since, limit: 1, order: 'asc' });
    cursor = first.events[0] ? first.events[0].seq - 1 : (await log.stats()).lastSeq;
  }
  return (await state.setCursor(sink, cursor))!;
}

/** Marks every dead letter of a sink to be delivered again; resolves with how many. */
export async function redriveSink(state: RelayState, sink: string): Promise<number> {
  await requireSink(state, sink);
  return state.redrive(sink);
}

/** Enables a sink that disabled itself (HTTP 410) or was disabled. */
export async function enableSink(state: RelayState, sink: string): Promise<RelaySinkState> {
  await requireSink(state, sink);
  return (await state.setDisabled(sink, null, Date.now()))!;
}

/** A sink's dead letters, oldest first. */
export async function listSinkDeadLetters(
  state: RelayState,
  sink: string,
  query: { after?: number; limit: number },
): Promise<DeadLetter[]> {
  await requireSink(state, sink);
  return state.listDeadLetters(sink, query);
}

/** What the status needs of a running sink, when it runs in this process. */
export interface RunningSink {
  type: string;
  runtime(): SinkRuntime;
}

/**
 * The status of every sink in the database (and of `running` ones not written yet), with lag
 * measured against the log: one read of the log per sink.
 */
export async function readRelayStatus(
  log: ChangeLog,
  state: RelayState,
  running: ReadonlyMap<string, RunningSink> = new Map(),
  now: number = Date.now(),
): Promise<SinkStatus[]> {
  const stored = new Map((await state.listSinks()).map((s) => [s.sink, s]));
  const names = [...new Set([...running.keys(), ...stored.keys()])].sort();
  const { lastSeq } = await log.stats();
  return Promise.all(
    names.map(async (sink) => {
      const saved = stored.get(sink);
      const live = running.get(sink);
      const runtime = live?.runtime();
      const cursor = runtime?.cursor ?? saved?.cursor ?? 0;
      let lagSeconds = 0;
      if (cursor < lastSeq) {
        const next = await log.listRendered({ after: cursor, limit: 1, order: 'asc' });
        const oldest = next.events[0];
        if (oldest) lagSeconds = Math.max(0, (now - oldest.receivedAt) / 1000);
      }
      return {
        sink,
        type: live?.type ?? null,
        phase: runtime?.phase ?? null,
        cursor,
        lastSeq,
        lagEvents: Math.max(0, lastSeq - cursor),
        lagSeconds,
        delivered: saved?.delivered ?? 0,
        deadLetters: saved?.deadLetters ?? 0,
        redrivePending: saved?.redrivePending ?? 0,
        disabled: saved?.disabledAt !== null && saved?.disabledAt !== undefined,
        disabledReason: saved?.disabledReason ?? null,
        disabledAt: saved?.disabledAt ?? null,
        lastError: saved?.lastError ?? runtime?.lastError ?? null,
        lastErrorAt: saved?.lastErrorAt ?? null,
        lastDeliveredAt: saved?.lastDeliveredAt ?? null,
        nextAttemptAt: runtime?.nextAttemptAt ?? null,
        leaseOwner: saved?.leaseOwner ?? null,
      };
    }),
  );
}
