/**
 * Every way a callback can be refused: a stable `ErrorCode` for the Chat envelope and an HTTP
 * status. The code is the status × 100 + n, so a log line alone tells the class of failure.
 */
export const Refusals = {
  MissingSdkAppid: { errorCode: 40001, status: 400 },
  BadRequestTime: { errorCode: 40002, status: 400 },
  BodyNotJson: { errorCode: 40003, status: 400 },
  BodyNotObject: { errorCode: 40004, status: 400 },
  MissingCommand: { errorCode: 40005, status: 400 },
  CommandMismatch: { errorCode: 40006, status: 400 },
  SignMissing: { errorCode: 40101, status: 401 },
  SignMismatch: { errorCode: 40102, status: 401 },
  StaleRequest: { errorCode: 40103, status: 401 },
  SdkAppidMismatch: { errorCode: 40301, status: 403 },
  MethodNotAllowed: { errorCode: 40501, status: 405 },
  BodyTooLarge: { errorCode: 41301, status: 413 },
  SchemaViolation: { errorCode: 42201, status: 422 },
  HandlerFailed: { errorCode: 50001, status: 500 },
  Overloaded: { errorCode: 50301, status: 503 },
  StoreUnavailable: { errorCode: 50302, status: 503 },
} as const;

/** The name of a refusal, e.g. `'SignMismatch'`. */
export type RefusalCode = keyof typeof Refusals;

const brand = Symbol.for('timhook.ReceiverError');

/**
 * A refused callback. `code` names it, `errorCode` and `status` are what the answer carries, and
 * `message` becomes `ErrorInfo` — it never holds a token or a signature.
 */
export class ReceiverError extends Error {
  override name = 'ReceiverError';
  readonly code: RefusalCode;
  readonly errorCode: number;
  readonly status: number;
  readonly [brand] = true;

  constructor(code: RefusalCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.errorCode = Refusals[code].errorCode;
    this.status = Refusals[code].status;
  }
}

/** True for a {@link ReceiverError}, also one from another copy of this package. */
export function isReceiverError(value: unknown): value is ReceiverError {
  return typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true;
}
