/**
 * How the client treats each Chat error code (the public error-code list, "REST API common error
 * codes" and "account error codes"; the group API's 10002). Every other code is an ordinary
 * {@link RestError}: not retried, not fatal.
 */
export const RestCodes = {
  /** Retried with backoff: the backend is busy or failed inside. */
  retryable: new Map<number, string>([
    [10002, 'internal error'],
    [60008, 'service timeout'],
  ]),
  /** Retried after waiting for the rate limit's window: a call-frequency limit was hit. */
  overLimit: new Map<number, string>([
    [60007, 'REST API call frequency over the limit'],
    [60011, 'SDKAppID request frequency over the limit'],
    [60018, 'requests too frequent'],
    [60019, 'requests too frequent'],
  ]),
  /** Never retried: the app's settings are wrong, and every call would fail the same way. */
  fatal: new Map<number, string>([
    [60004, 'the identifier or UserSig in the URL is refused'],
    [60005, 'the identifier or UserSig in the URL is refused'],
    [60006, 'the SDKAppID is not valid'],
    [60010, 'the identifier is not an app admin'],
    [60012, 'the SDKAppID is missing'],
    [60016, 'the SDKAppID is disabled'],
    [60020, 'the app’s plan has expired'],
    [60021, 'calls from this IP address are refused'],
    [70001, 'the UserSig has expired: is this machine’s clock right?'],
    [70002, 'the UserSig is too short'],
    [70003, 'the UserSig cannot be decoded'],
    [70005, 'the UserSig is invalid'],
    [70009, 'the UserSig does not verify: the secret key is not this app’s'],
    [70013, 'the UserSig was made for another identifier'],
    [70014, 'the UserSig was made for another SDKAppID'],
    [70016, 'the app has no key in this data centre: is the region right?'],
    [70020, 'the SDKAppID does not exist in this data centre: is the region right?'],
    [70050, 'the UserSig does not verify, and verification is now rate-limited'],
  ]),
} as const;

const brand = Symbol.for('timhook.RestError');

/** What went wrong with a REST call. */
export type RestErrorKind =
  /** The backend answered `ActionStatus: FAIL` with a code that is not fatal. */
  | 'chat'
  /** The backend refused the app's settings (secret key, admin, SDKAppID, region): stop. */
  | 'fatal'
  /** No answer: connection refused or reset, DNS, TLS. */
  | 'network'
  /** No whole answer within the call's timeout. */
  | 'timeout'
  /** An HTTP status other than 200, or an answer that is not the documented JSON envelope. */
  | 'answer';

/**
 * A failed REST call, after any retries. `errorCode` and `errorInfo` are the backend's when it
 * answered (`kind` `chat` or `fatal`), 0 and a description otherwise. The message never holds the
 * UserSig or the secret key.
 */
export class RestError extends Error {
  override name = 'RestError';
  readonly kind: RestErrorKind;
  /** The `<service>/<command>` called. */
  readonly api: string;
  readonly errorCode: number;
  readonly errorInfo: string;
  /** How many HTTP attempts were made. */
  readonly attempts: number;
  readonly [brand] = true;

  constructor(
    init: { kind: RestErrorKind; api: string; errorCode: number; errorInfo: string; attempts: number },
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.kind = init.kind;
    this.api = init.api;
    this.errorCode = init.errorCode;
    this.errorInfo = init.errorInfo;
    this.attempts = init.attempts;
  }

  /** True when retrying later cannot help until someone fixes the settings. */
  get fatal(): boolean {
    return this.kind === 'fatal';
  }
}

/** True for a {@link RestError}, also one from another copy of this package. */
export function isRestError(value: unknown): value is RestError {
  return typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true;
}

/** True for a fatal {@link RestError}: a bad secret key, a non-admin identifier, a wrong region. */
export function isFatalRestError(value: unknown): value is RestError {
  return isRestError(value) && value.kind === 'fatal';
}
