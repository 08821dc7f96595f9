import type { ChangeLog, MirrorState, RenderedEvent } from '../../store/index.js';
import type { Logger } from '../logger.js';
import { createFirstSight, type FirstSight } from './first-sight.js';
import type { MirrorSource } from './mirror-source.js';
import { PASS_STATE_KEY, type PassState, readPassState } from './pass-state.js';
import { type PassOptions, runPass } from './reconcile-pass.js';

/** Settings of the mirror. */
export interface MirrorOptions {
  source: MirrorSource;
  /** The recorder's change log: the mirror's entries join the callbacks in its group commit. */
  log: Pick<ChangeLog, 'append' | 'getProfile' | 'listProfiles'>;
  state: MirrorState;
  sdkAppId: string;
  logger: Logger;
  /** Start a pass this often, ms; null (the default) for none but those asked for. */
  reconcileEveryMs?: number | null;
  /** Fill the profiles callbacks name and the mirror lacks. Default true. */
  firstSight?: boolean;
  pass?: PassOptions;
  now?: () => number;
}

/** Fills and reconciles the recorder's profiles from the Chat REST API. */
export interface Mirror {
  /** Looks at a committed event (first sight); never waits. */
  notice(event: RenderedEvent): void;
  /** Resumes a pass a crash interrupted, and starts the timer. */
  start(): void;
  /**
   * Starts a pass unless one runs; either way resolves at once with the running pass and a promise
   * of its end. `resume` also picks up a pass that failed (the CLI does, once the settings are fixed).
   */
  reconcile(trigger: string, resume?: boolean): { state: PassState; done: Promise<PassState> };
  /** The running pass, else the last one stored; null when there was none. */
  status(): Promise<{ running: boolean; pass: PassState | null }>;
  /** Hears every progress step of every pass. */
  onProgress(listener: (state: PassState) => void): () => void;
  /** Resolves once the first-sight fill has nothing in flight. */
  idle(): Promise<void>;
  /** Stops the timer, lets a running pass stop between batches (it resumes at the next start). */
  stop(): Promise<void>;
}

/**
 * Creates the mirror of the recorder: the first-sight fill and reconciliation passes, over a
 * {@link MirrorSource} (the REST client) and the recorder's change log.
 */
export function createMirror(options: MirrorOptions): Mirror {
  const { logger, reconcileEveryMs = null, firstSight: fill = true, now = Date.now } = options;
  const listeners = new Set<(state: PassState) => void>();
  let stopping = false;
  let current: { state: PassState; done: Promise<PassState> } | null = null;
  let timer: NodeJS.Timeout | null = null;
  const deps = {
    source: options.source,
    log: options.log,
    sdkAppId: options.sdkAppId,
    now,
  };
  const firstSight: FirstSight | null = fill
    ? createFirstSight(deps, {
        onError: (message, error) => logger.warn(message, { error }),
      })
    : null;

  function publish(state: PassState): void {
    if (current) current.state = state;
    for (const listener of listeners) {
      try {
        listener(state);
      } catch (error) {
        logger.error('a reconciliation progress listener failed', { error });
      }
    }
  }

  function reconcile(trigger: string, resume = false): { state: PassState; done: Promise<PassState> } {
    if (current) return current;
    const placeholder = readPassState({ id: 'starting', pageCursor: '0', trigger, startedAt: now() })!;
    const run = runPass(
      { ...deps, state: options.state, onProgress: publish, isStopping: () => stopping },
      trigger,
      {
        ...options.pass,
        resume: resume ? 'unfinished' : 'running',
      },
    ).then(
      (state) => {
        current = null;
        if (state.status === 'failed') logger.error('reconciliation pass failed', { pass: state });
        else if (state.status === 'done') logger.info('reconciliation pass done', { pass: state });
        return state;
      },
      (error: unknown) => {
        current = null;
        throw error;
      },
    );
    current = { state: placeholder, done: run };
    run.catch((error: unknown) => logger.error('reconciliation pass could not run', { error }));
    return current;
  }

  return {
    notice(event) {
      firstSight?.notice(event);
    },
    start() {
      void (async () => {
        const stored = readPassState(await options.state.read(PASS_STATE_KEY));
        if (!stopping && stored?.status === 'running') reconcile(stored.trigger);
      })().catch((error: unknown) => logger.error('could not read the reconciliation state', { error }));
      if (reconcileEveryMs !== null) {
        timer = setInterval(() => reconcile('timer'), reconcileEveryMs);
        timer.unref();
      }
    },
    reconcile,
    async status() {
      if (current) return { running: true, pass: current.state };
      return { running: false, pass: readPassState(await options.state.read(PASS_STATE_KEY)) };
    },
    onProgress(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async idle() {
      await firstSight?.idle();
    },
    async stop() {
      stopping = true;
      if (timer) clearInterval(timer);
      firstSight?.stop();
      await firstSight?.idle();
      await current?.done.catch(() => {});
    },
  };
}
