import type { AppendResult, ChangeLog, RenderedEvent } from '../store/index.js';
import type { LiveHub } from './live-hub.js';

/** Feeds the live hub from the log. */
export interface LogFollower {
  /** This process's commit: published at once when it follows what was published, else after a catch-up read. */
  committed(results: readonly AppendResult[]): void;
  /** Stops listening to other writers. */
  stop(): void;
}

const PAGE = 500;

/**
 * Publishes every event of the log to `hub` once, in `seq` order, with no gap: this process's
 * commits as they resolve, and, on a database several recorders share, what the others
 * commit, read from the log when it says so (`ChangeLog.watch`). Every store commits in `seq`
 * order (postgres.ts takes a lock per append), so when a commit of this process resolves, every
 * smaller `seq` is readable: a gap before it is another instance's work, read and published first.
 */
export function createLogFollower(
  log: ChangeLog,
  hub: LiveHub,
  options: { lastSeq: number; onError: (error: unknown) => void },
): LogFollower {
  let published = options.lastSeq;
  let chain: Promise<void> = Promise.resolve();
  let queued = 0;

  function publish(event: RenderedEvent): void {
    if (event.seq <= published) return;
    published = event.seq;
    hub.publish(event);
  }

  async function catchUp(through: number): Promise<void> {
    while (published < through) {
      const page = await log.listRendered({ after: published, order: 'asc', limit: PAGE });
      if (page.events.length === 0) return;
      for (const event of page.events) if (event.seq <= through) publish(event);
      if (page.next === null) return;
    }
  }

  /** Runs `work` after what is queued; while nothing is, the common case runs at once. */
  function enqueue(work: () => Promise<void> | void, idle: (() => boolean) | null): void {
    if (queued === 0 && idle?.()) return;
    queued++;
    chain = chain
      .then(work)
      .catch(options.onError)
      .finally(() => {
        queued--;
      });
  }

  function freshOf(results: readonly AppendResult[]): RenderedEvent[] {
    const fresh: RenderedEvent[] = [];
    for (const result of results) if (!result.duplicate) fresh.push(result.rendered);
    return fresh;
  }

  const unwatch = log.watch((lastSeq) => enqueue(() => catchUp(lastSeq), null));

  return {
    committed(results) {
      const fresh = freshOf(results);
      if (fresh.length === 0) return;
      const first = fresh[0]!.seq;
      enqueue(
        async () => {
          await catchUp(first - 1);
          for (const event of fresh) publish(event);
        },
        // Nothing in between: publish without a turn of the event loop (the common case).
        () => {
          if (first !== published + 1) return false;
          for (const event of fresh) publish(event);
          return true;
        },
      );
    },
    stop: unwatch,
  };
}
