/** One `timhook` sub-command: a one-line summary, its `--help` text, and what it runs. */
export interface CliCommand {
  summary: string;
  help: string;
  /** Runs the command; resolves to the process exit code (a server resolves when it stops). */
  run(args: string[]): Promise<number>;
}

/** A mistake in the command line: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
