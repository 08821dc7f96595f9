/**
 * Standard output whose reader went away (`timhook tail | head -2`). By default what is left to
 * print is dropped and the command goes on (a recorder keeps answering callbacks); a command whose
 * purpose is its stream of lines asks, with {@link whenOutputCloses}, to stop instead.
 */
const state: { closed: boolean; failure: Error | null; onClosed: () => void } = {
  closed: false,
  failure: null,
  onClosed: () => {},
};

/** Turns write errors on standard output and error into a quiet close instead of a crash. */
export function watchOutput(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (state.closed) return;
    state.closed = true;
    if (!isGone(error)) {
      state.failure = error;
      process.stderr.write(`timhook: cannot write to standard output: ${error.message}\n`);
    }
    state.onClosed();
  });
  // Nothing can be reported once standard error fails itself.
  process.stderr.on('error', () => {});
}

/** Runs `handler` once standard output is closed (at once when it already is). */
export function whenOutputCloses(handler: () => void): void {
  state.onClosed = handler;
  if (state.closed) handler();
}

/** Whether standard output can no longer be written. */
export function isOutputClosed(): boolean {
  return state.closed;
}

/** The write error that closed standard output, unless it was only its reader going away. */
export function outputFailure(): Error | null {
  return state.failure;
}

function isGone(error: NodeJS.ErrnoException): boolean {
  return error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED';
}
