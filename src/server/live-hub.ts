import type { RecordedEvent } from '../store/index.js';

/** Told of every event committed by this process, in `seq` order. */
export type LiveListener = (event: RecordedEvent) => void;

/** Fans committed events out to live subscribers (the SSE streams). Nothing lives only here. */
export interface LiveHub {
  publish(event: RecordedEvent): void;
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
