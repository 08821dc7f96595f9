import type { Mirror } from './create-mirror.js';
import type { PassState } from './pass-state.js';

/** The SSE frame of a pass's progress on `/api/stream`: `event: reconcile`, no `id` (not a log event). */
export function formatProgressFrame(state: PassState): string {
  return `event: reconcile\ndata: ${JSON.stringify(state)}\n\n`;
}

/**
 * Subscribes `listener` to the mirror's progress at most every `intervalMs` (a pass reports after
 * every batch, up to 200 times a second), always with a pass's first and last state. Returns the
 * function that unsubscribes.
 */
export function followProgress(
  mirror: Mirror,
  listener: (state: PassState) => void,
  intervalMs = 250,
): () => void {
  let last = 0;
  let pending: PassState | null = null;
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    timer = null;
    if (!pending) return;
    last = Date.now();
    const state = pending;
    pending = null;
    listener(state);
  };
  const off = mirror.onProgress((state) => {
    pending = state;
    const wait = last + intervalMs - Date.now();
    if (state.status !== 'running' || state.scanned + state.swept === 0 || wait <= 0) {
      if (timer) clearTimeout(timer);
      flush();
    } else {
      timer ??= setTimeout(flush, wait);
    }
  });
  return () => {
    off();
    if (timer) clearTimeout(timer);
  };
}

/** Writes the mirror's progress to one stream as `event: reconcile` frames; returns the unsubscribe. */
export function progressFrames(mirror: Mirror, write: (frame: string) => void): () => void {
  return followProgress(mirror, (state) => write(formatProgressFrame(state)));
}
