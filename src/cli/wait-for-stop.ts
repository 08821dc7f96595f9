import { whenOutputCloses } from './closed-output.js';

/**
 * Resolves with exit code 0 once the first SIGINT/SIGTERM has run `stop` (1 when stop fails); a
 * second signal exits at once. Call it before starting, so a signal that comes while `started`
 * is still pending is not lost: `stop` then runs as soon as the start has settled. With
 * `stopWhenOutputCloses`, standard output losing its reader stops the same way as a signal.
 */
export function waitForStop(
  stop: () => Promise<void>,
  started: Promise<unknown> = Promise.resolve(),
  options: { stopWhenOutputCloses?: boolean } = {},
): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = () => {
      if (stopping) process.exit(130);
      stopping = true;
      started
        .catch(() => {})
        .then(stop)
        .then(
          () => resolve(0),
          (error: unknown) => {
            process.stderr.write(`timhook: stop failed: ${(error as Error).message}\n`);
            resolve(1);
          },
        );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (options.stopWhenOutputCloses) {
      whenOutputCloses(() => {
        if (!stopping) onSignal();
      });
    }
  });
}
