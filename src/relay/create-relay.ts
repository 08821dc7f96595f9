import { randomUUID } from 'node:crypto';
import type { ChangeLog, DeadLetter, RelayState } from '../store/index.js';
import { createSink as createSinkFromConfig } from './create-sink.js';
import { relayOwnerId } from './lease-owner.js';
import {
  enableSink,
  listSinkDeadLetters,
  type ReplayTarget,
  type RunningSink,
  readRelayStatus,
  redriveSink,
  replaySink,
  type SinkStatus,
} from './relay-control.js';
import type { RelayLogger, RelayObserver, RelayTiming } from './relay-types.js';
import type { Sink } from './sink.js';
import type { DeclaredSink } from './sink-config.js';
import { createSinkRelay, type SinkRelay } from './sink-relay.js';

/** Settings of the relay. */
export interface RelayOptions {
  sinks: readonly DeclaredSink[];
  log: ChangeLog;
  state: RelayState;
  /**
   * The app the recorder serves: the `<sdkAppId>` of every message id. Default: read once from
   * the log (the recorder logs the callbacks of its own app only).
   */
  sdkAppId?: string | number;
  logger?: RelayLogger;
  observer?: RelayObserver;
  timing?: RelayTiming;
  /** This instance's lease owner id. Default: host, pid and a random nonce. */
  owner?: string;
  /** Builds a sink from its declaration (tests pass fakes). Default: the real transports. */
  createSink?: (declared: DeclaredSink) => Sink;
  /**
   * True while the callback endpoint is under pressure (the recorder: its commit queue is backed
   * up). A loop working off a backlog then waits a little before each batch, so that callbacks go
   * first; new events are sent at once.
   */
  busy?: () => boolean;
  /** How long `stop` waits for a delivery in flight before closing the sinks under it, ms. Default 3000. */
  stopTimeoutMs?: number;
  /** The clock of the loops' waits (tests pass their own). Default `Date.now`. */
  now?: () => number;
}

/** Every sink's loop, and the operator actions on them. */
export interface Relay {
  /** Starts every sink's loop; connections are made by the loops, so a sink that is down delays nothing. */
  start(): void;
  /** Tells the loops that new events were committed. */
  wake(): void;
  /** Stops the loops, writes their cursors, closes the sinks. */
  stop(): Promise<void>;
  /** The configured sinks' names. */
  names(): string[];
  status(): Promise<SinkStatus[]>;
  replay(sink: string, target: ReplayTarget): Promise<SinkStatus>;
  redrive(sink: string): Promise<number>;
  enable(sink: string): Promise<SinkStatus>;
  deadLetters(sink: string, query: { after?: number; limit: number }): Promise<DeadLetter[]>;
}

const silent: RelayLogger = { info() {}, warn() {}, error() {} };

/**
 * Creates the relay: one delivery loop per sink, each with its own cursor and connection, so a
 * slow or failing sink holds up only itself.
 *
 * @example
 * const relay = createRelay({ sinks: parseSinks(config.sinks, process.env), log, state });
 * relay.start();
 * hub.subscribe(() => relay.wake());
 */
export function createRelay(options: RelayOptions): Relay {
  const {
    log,
    state,
    logger = silent,
    owner = relayOwnerId(randomUUID().slice(0, 8)),
    createSink = createSinkFromConfig,
    stopTimeoutMs = 3_000,
  } = options;
  const sdkAppIdOf = createSdkAppIdSource(log, options.sdkAppId);
  const sinks = new Map<string, { sink: Sink; loop: SinkRelay }>();
  for (const declared of options.sinks) {
    const sink = createSink(declared);
    const loop = createSinkRelay({
      sink,
      settings: declared.settings,
      log,
      state,
      sdkAppIdOf,
      owner,
      logger,
      ...(options.observer ? { observer: options.observer } : {}),
      ...(options.timing ? { timing: options.timing } : {}),
      ...(options.busy ? { busy: options.busy } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    sinks.set(declared.settings.name, { sink, loop });
  }
  const running: Promise<void>[] = [];
  const live = new Map<string, RunningSink>(
    [...sinks].map(([name, { sink, loop }]) => [name, { type: sink.type, runtime: loop.runtime }]),
  );

  async function statusOf(name: string): Promise<SinkStatus> {
    const found = (await readRelayStatus(log, state, live)).find((s) => s.sink === name);
    return found!;
  }

  return {
    start() {
      if (running.length > 0) return;
      for (const { loop } of sinks.values()) running.push(loop.run());
      if (sinks.size > 0) logger.info('relay started', { sinks: [...sinks.keys()] });
    },
    wake() {
      for (const { loop } of sinks.values()) loop.wake();
    },
    async stop() {
      for (const { loop } of sinks.values()) loop.stop();
      const loops = Promise.all(running);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([loops, new Promise((resolve) => (timer = setTimeout(resolve, stopTimeoutMs)))]);
      clearTimeout(timer);
      // Closing a sink fails what it still has in flight, which lets its loop finish.
      await Promise.all([...sinks.values()].map(({ sink }) => sink.close().catch(() => {})));
      await loops;
    },
    names: () => [...sinks.keys()],
    status: () => readRelayStatus(log, state, live),
    async replay(sink, target) {
      await replaySink(log, state, sink, target);
      sinks.get(sink)?.loop.refresh();
      return statusOf(sink);
    },
    async redrive(sink) {
      const count = await redriveSink(state, sink);
      sinks.get(sink)?.loop.refresh();
      return count;
    },
    async enable(sink) {
      await enableSink(state, sink);
      sinks.get(sink)?.loop.refresh();
      return statusOf(sink);
    },
    deadLetters: (sink, query) => listSinkDeadLetters(state, sink, query),
  };
}

/**
 * The app id of message ids: the one given, or the `sdkAppId` of the first event the relay sends,
 * read from the log once (a recorder logs its own app's callbacks only).
 */
function createSdkAppIdSource(log: ChangeLog, given: string | number | undefined) {
  let known: Promise<string> | null = given === undefined ? null : Promise.resolve(String(given));
  return function sdkAppIdOf(seq: number): Promise<string> {
    known ??= log
      .listEvents({ after: seq - 1, limit: 1, order: 'asc' })
      .then(
        (page) => page.events[0]?.sdkAppId ?? Promise.reject(new Error(`event ${seq} is not in the log`)),
      );
    return known.catch((error: unknown) => {
      known = null; // read again next time
      throw error;
    });
  };
}
