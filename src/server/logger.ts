/** A structured logger: one JSON line per event of note. */
export interface Logger {
  /** What only helps to trace a problem (a client that went away). A logger without it drops it. */
  debug?(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The levels, least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** A level: a logger writes its own and the more severe ones. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How deep a cause chain is written before it is cut. */
const MAX_CAUSES = 8;

/**
 * Writes JSON lines (`{"time","level","msg",...fields}`) at `level` and above (default `info`) to
 * `write`; default: standard error. An `Error` field is written with its name, message, `code`,
 * stack and `cause` chain.
 */
export function createJsonLogger(
  write: (line: string) => void = (line) => process.stderr.write(line),
  options: { level?: LogLevel } = {},
): Logger {
  const min = LOG_LEVELS.indexOf(options.level ?? 'info');
  function emit(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (LOG_LEVELS.indexOf(level) < min) return;
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, msg: message };
    if (fields) {
      for (const [key, value] of Object.entries(fields)) {
        record[key] = value instanceof Error ? serializeError(value, new Set()) : value;
      }
    }
    write(`${JSON.stringify(record)}\n`);
  }
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  };
}

/** An error as plain JSON: name, message, code, stack, and its causes in turn. */
function serializeError(error: Error, seen: Set<unknown>): Record<string, unknown> {
  seen.add(error);
  const out: Record<string, unknown> = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (error.stack !== undefined) out.stack = error.stack;
  if (error.cause !== undefined) out.cause = serializeCause(error.cause, seen);
  return out;
}

function serializeCause(cause: unknown, seen: Set<unknown>): unknown {
  if (seen.has(cause)) return '[circular]';
  if (seen.size >= MAX_CAUSES) return '[more causes]';
  if (cause instanceof Error) return serializeError(cause, seen);
  if (cause === null || ['string', 'number', 'boolean'].includes(typeof cause)) return cause;
  try {
    return JSON.parse(JSON.stringify(cause)) as unknown;
  } catch {
    return String(cause);
  }
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
