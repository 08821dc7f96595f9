import type { RenderedEvent } from '../store/index.js';

/** Told of every event the log follower publishes, in `seq` order, each once. */
export type LiveListener = (event: RenderedEvent) => void;

/** Fans committed events out to live subscribers (the SSE streams, the relay's wake-up). Nothing lives only here. */
export interface LiveHub {
  publish(event: RenderedEvent): void;
  /** Returns the function that unsubscribes. */
  subscribe(listener: LiveListener): () => void;
  size(): number;
}

/** Creates a hub; a listener that throws is dropped, the others still hear the event. */
export function createLiveHub(): LiveHub {
  const listeners = new Set<LiveListener>();
  return {
    publish(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch {
          listeners.delete(listener);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    size: () => listeners.size,
  };
}
