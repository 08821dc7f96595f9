import type { Registry } from 'prom-client';
import { type ChangeLog, type MirrorState, openMirrorState } from '../../store/index.js';
import type { Logger } from '../logger.js';
import { createMirror, type Mirror } from './create-mirror.js';
import { type RestCallCounts, registerMirrorMetrics } from './mirror-metrics.js';
import type { MirrorSource } from './mirror-source.js';
import type { PassOptions } from './reconcile-pass.js';

/** The recorder's mirror settings (`RecorderOptions.mirror`). */
export interface MirrorSetup {
  /** The REST API (see `createRestSource`). */
  source: MirrorSource;
  /** Start a pass this often, ms; null or absent for none but those asked for. */
  reconcileEveryMs?: number | null;
  /** Fill the profiles callbacks name and the mirror lacks. Default true. */
  firstSight?: boolean;
  pass?: PassOptions;
  /** Where pass state is kept. Default: beside the log in the `db` database. */
  state?: MirrorState;
  /** The REST client's call counters, shown in `/metrics`. */
  restCounts?: () => RestCallCounts;
  /** Called once the mirror is stopped (closes what the setup opened). */
  close?: () => Promise<void>;
}

/** The mirror of a recorder, with the state store it opened (closed by `close`). */
export async function openMirror(
  setup: MirrorSetup,
  context: {
    db: string;
    sdkAppId: string;
    log: ChangeLog;
    logger: Logger;
    registry: Registry;
  },
): Promise<{ mirror: Mirror; close: () => Promise<void> }> {
  const state = setup.state ?? (await openMirrorState(context.db));
  const mirror = createMirror({
    source: setup.source,
    log: context.log,
    state,
    sdkAppId: context.sdkAppId,
    logger: context.logger,
    ...(setup.reconcileEveryMs !== undefined ? { reconcileEveryMs: setup.reconcileEveryMs } : {}),
    ...(setup.firstSight !== undefined ? { firstSight: setup.firstSight } : {}),
    ...(setup.pass ? { pass: setup.pass } : {}),
  });
  mirror.onProgress(registerMirrorMetrics(context.registry, setup.restCounts));
  return {
    mirror,
    async close() {
      // Stopping first, then closing the client ends the calls waiting for a rate limit: a pass
      // stops within one call's time, not after every batch in flight got its turn.
      const stopped = mirror.stop();
      await setup.close?.();
      await stopped;
      if (!setup.state) await state.close();
    },
  };
}
