/** A server command could not start: the message says what is wrong and what to do; exit code 1. */
export class StartError extends Error {
  override name = 'StartError';
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Where a server was asked to listen, and the flags that say so, to name in a {@link StartError}. */
export interface ListenTarget {
  host: string;
  port: number;
  portFlag: string;
  hostFlag?: string;
}

/**
 * Awaits a server's `start()`. When it cannot listen, runs `cleanup` first (so no open database or
 * timer keeps the process alive) and throws a {@link StartError} naming the port and the flag to
 * change; any other failure is cleaned up the same way and thrown as it is.
 */
export async function awaitListening<T>(
  started: Promise<T>,
  target: ListenTarget,
  cleanup: () => Promise<void>,
): Promise<T> {
  try {
    return await started;
  } catch (error) {
    await cleanup().catch(() => {});
    throw describeListenError(error, target) ?? error;
  }
}

/** The {@link StartError} for a `listen` failure, or null when `error` is not one. */
export function describeListenError(error: unknown, target: ListenTarget): StartError | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const { host, port, portFlag, hostFlag = '--host' } = target;
  const options = { cause: error };
  switch (code) {
    case 'EADDRINUSE':
      return new StartError(
        `port ${port} is in use: stop what uses it or pick another with ${portFlag} (0 picks a free one)`,
        code,
        options,
      );
    case 'EACCES':
      return new StartError(
        `port ${port} needs privileges this user does not have (ports below 1024 usually do): pick another with ${portFlag}`,
        code,
        options,
      );
    case 'EADDRNOTAVAIL':
      return new StartError(
        `cannot listen on ${host}: no interface of this machine has that address; pick another with ${hostFlag}`,
        code,
        options,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartError(
        `cannot listen on ${host}: no such host name; pick another with ${hostFlag}`,
        code,
        options,
      );
    default:
      return null;
  }
}
