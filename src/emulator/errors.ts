/**
 * The REST error codes the emulator answers with (docs/protocol.md §4; Tencent Cloud Chat error codes,
 * doc 34348). Every REST answer is HTTP 200; the code is in the body's `ErrorCode`.
 */
export const ErrorCodes = {
  /** The request is not an HTTP POST. */
  HttpParse: 60002,
  /** The body is not a JSON object (or is over the size limit). */
  JsonParse: 60003,
  /** `identifier` is missing from the URL. */
  BadAccount: 60004,
  /** `usersig` is missing from the URL. */
  BadSig: 60005,
  /** `sdkappid` is not this app's. */
  InvalidSdkAppId: 60006,
  /** The REST API was called more often than its per-API limit allows. */
  RequestRateExceeded: 60007,
  /** `identifier` is not an app admin. */
  NotAdmin: 60010,
  /** `sdkappid` is missing from the URL. */
  MissingSdkAppId: 60012,
  /** The UserSig has expired. */
  UserSigExpired: 70001,
  /** The UserSig cannot be decoded. */
  UserSigInvalid: 70003,
  /** The UserSig was not made with this app's secret key. */
  UserSigWrongKey: 70009,
  /** The UserSig was made for another identifier than the request's. */
  UserSigIdentifierMismatch: 70013,
  /** The UserSig was made for another SDKAppID than the request's. */
  UserSigSdkAppIdMismatch: 70014,
  /** Internal error. */
  Internal: 10002,
  /** Unknown service or command. */
  InvalidCommand: 10003,
  /** A parameter is missing, of the wrong type, or breaks a documented limit. */
  InvalidParameter: 10004,
  /** The operator may not do this. */
  NoPermission: 10007,
  /** The group (or topic) does not exist or was dissolved. */
  GroupNotFound: 10010,
  /** The group id is malformed. */
  InvalidGroupId: 10015,
  /** The group (or topic) id is already in use. */
  GroupIdInUse: 10021,
} as const;

/** One of {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** A refusal of a REST or client call: becomes `{ActionStatus:'FAIL', ErrorCode, ErrorInfo}`. */
export class ChatError extends Error {
  override name = 'ChatError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, info: string) {
    super(info);
    this.code = code;
  }
}

/** Throws a {@link ChatError}; for expressions like `x ?? failWith(…)`. */
export function failWith(code: ErrorCode, info: string): never {
  throw new ChatError(code, info);
}
