import type { PassState, Recorder } from '../server/index.js';

/** One line on a finished reconciliation pass: what it scanned, and the drift it found and fixed. */
export function formatPassEnd(state: PassState): string {
  const seconds = ((state.finishedAt ?? state.startedAt) - state.startedAt) / 1000;
  const scanned = `scanned ${state.scanned + state.swept} groups and ${state.topicsScanned} topics in ${seconds.toFixed(1)} s`;
  const extra = (['filled', 'vanished', 'failed'] as const)
    .filter((key) => state[key] > 0)
    .map((key) => `${key} ${state[key]}`);
  const counts = `drifted ${state.drifted}, fixed ${state.fixed}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`;
  if (state.status === 'failed') return `reconcile pass failed: ${state.error ?? 'unknown error'}; ${counts}`;
  return `reconcile pass done: ${scanned}; ${counts}`;
}

/** Calls `print` once with each pass of the recorder's mirror that ends; returns the unsubscribe. */
export function onPassEnd(recorder: Recorder, print: (line: string) => void): () => void {
  let last: string | null = null;
  return (
    recorder.mirror?.onProgress((state) => {
      if (state.status === 'running' || state.id === last) return;
      last = state.id;
      print(formatPassEnd(state));
    }) ?? (() => {})
  );
}
