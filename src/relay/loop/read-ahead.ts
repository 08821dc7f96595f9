import type { Batch } from '../read-batch.js';
import type { DeliveryOutcome, Sink } from '../sink.js';

/** A batch after the one being delivered, read early; `sent`: the outcomes of its first attempt. */
export interface Ahead {
  /** The seq the batch was read after. */
  after: number;
  batch: Batch;
  sent: Promise<readonly DeliveryOutcome[]> | null;
}

/** What the read-ahead needs of its delivery loop. */
export interface ReadAheadOptions {
  sink: Sink;
  signal: AbortSignal;
  /** Reads the batch after a seq (and clears the loop's "new events" flag). */
  read(after: number): Promise<Batch>;
  /** Events were committed since the last read. */
  isWoken(): boolean;
  /** A batch read now may be sent: the sink is not failing and the loop not stopping. */
  maySend(): boolean;
  isStopping(): boolean;
}

/** The batches read (and, for a pipelined sink, sent) while the sink works on the current one. */
export interface ReadAhead {
  /** Reads the batches after `current` while `delivering` (its delivery) runs. */
  fill(current: Batch, delivering: Promise<unknown>): void;
  /** The batch read after `after`, once any read in progress ends; null (all dropped) if none fits. */
  take(after: number): Promise<Ahead | null>;
  /** Forgets every batch read ahead: what they delivered is sent again, with the same ids. */
  drop(): void;
  /** New events were committed. */
  wake(): void;
}

/**
 * Batches a pipelined sink may have on the wire behind the one being delivered: enough for a
 * broker whose acknowledgements wait for its disk (RabbitMQ confirms) to take several at once.
 */
export const PIPELINE_DEPTH = 3;

/**
 * Creates the read-ahead of a delivery loop. After a full batch (a backlog) it reads the next one
 * at once; after a partial one, once new events are committed, until the current delivery ends.
 * A pipelined sink (one connection, in order) is sent each batch straight away, behind the ones
 * before it, up to {@link PIPELINE_DEPTH} of them, so that neither side waits for the other; the
 * loop's next rounds take up their outcomes. Any other sink gets the next batch of a backlog read
 * while it works, not sent.
 */
export function createReadAhead(options: ReadAheadOptions): ReadAhead {
  const { sink, signal } = options;
  const pipelined = sink.pipelined === true;
  let aheads: Ahead[] = [];
  let filling: Promise<void> | null = null;
  // Bumped by `drop`: a read in progress then keeps nothing.
  let generation = 0;
  let onWake: (() => void) | null = null;

  /** Resolves true once new events are committed, or false when `settled` comes first. */
  function wokenBefore(settled: Promise<unknown>): Promise<boolean> {
    if (options.isWoken()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        if (onWake !== wake) return;
        onWake = null;
        resolve(value);
      };
      const wake = () => done(true);
      onWake = wake;
      settled.then(
        () => done(false),
        () => done(false),
      );
    });
  }

  async function fillAfter(current: Batch, delivering: Promise<unknown>, made: number): Promise<void> {
    try {
      while (aheads.length < (pipelined ? PIPELINE_DEPTH : 1) && !options.isStopping()) {
        const last = aheads.at(-1)?.batch ?? current;
        if (last.through === null) return; // the end of the log: the next round waits for more
        if (last.full)
          await new Promise((resolve) => setImmediate(resolve)); // the batch's writes go out first
        else if (!pipelined || !(await wokenBefore(delivering))) return;
        const batch = await options.read(last.through);
        if (options.isStopping() || made !== generation) return;
        // In order: not after a batch that was not sent (read while the sink failed).
        const inOrder = aheads.every((a) => a.sent !== null || a.batch.messages.length === 0);
        const send = pipelined && batch.messages.length > 0 && inOrder && options.maySend();
        aheads.push({
          after: last.through,
          batch,
          sent: send ? sink.deliver(batch.messages, signal, { ahead: true }) : null,
        });
      }
    } catch {
      // Unread: the loop reads it itself.
    }
  }

  function drop(): void {
    aheads = [];
    generation++;
  }

  return {
    fill(current, delivering) {
      filling = fillAfter(current, delivering, generation);
    },
    async take(after) {
      await filling;
      const taken = aheads.shift();
      if (taken?.after === after) return taken;
      drop();
      return null;
    },
    drop,
    wake() {
      onWake?.();
    },
  };
}
