import { computeSign } from '../../../src/protocol/index.js';
import {
  type AnyEvent,
  createReceiver,
  type Receiver,
  type ReceiverError,
  type ReceiverOptions,
} from '../../../src/receiver/index.js';
import { CALLBACK_PATH } from './adapters.js';

export const APP_ID = '1400000000';
export const TOKEN = 'test-callback-token';
/** The receiver's fixed clock: 2023-11-14T22:13:20Z. */
export const NOW_MS = 1_700_000_000_000;
export const NOW_S = NOW_MS / 1000;

export const GROUP_CHANGED = 'Group.CallbackAfterGroupInfoChanged';
export const TOPIC_CHANGED = 'Group.CallbackAfterTopicInfoChanged';

/** The parameters of a callback URL; `undefined` leaves one out. */
export interface UrlParams {
  SdkAppid?: string | undefined;
  CallbackCommand?: string | undefined;
  contenttype?: string | undefined;
  ClientIP?: string | undefined;
  OptPlatform?: string | undefined;
  Sign?: string | undefined;
  RequestTime?: string | undefined;
}

/** `/callback?…` with the documented parameters, overridable one by one. */
export function callbackPath(overrides: UrlParams = {}): string {
  const params: UrlParams = {
    SdkAppid: APP_ID,
    CallbackCommand: GROUP_CHANGED,
    contenttype: 'json',
    ClientIP: '203.0.113.7',
    OptPlatform: 'RESTAPI',
    ...overrides,
  };
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value);
  return `${CALLBACK_PATH}?${query}`;
}

/** `/callback?…` signed with `token` at `requestTime` (default: the receiver's now). */
export function signedPath(overrides: UrlParams = {}, token = TOKEN, requestTime = String(NOW_S)): string {
  return callbackPath({ RequestTime: requestTime, Sign: computeSign(token, requestTime), ...overrides });
}

/** A valid group-change body. */
export function groupChangedBody(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    CallbackCommand: GROUP_CHANGED,
    GroupId: '@TGS#2J4SZEAEL',
    Type: 'Public',
    Operator_Account: 'leckie',
    Name: 'NewGroupName',
    ...fields,
  });
}

/** A receiver on a fixed clock that records what reached its handlers, `onError` and its log. */
export interface RecordingReceiver {
  receiver: Receiver;
  /** Events seen by the `on(...)` handlers of every known command. */
  handled: AnyEvent[];
  /** Events seen by `onAny`. */
  seenByAny: AnyEvent[];
  errors: ReceiverError[];
  logged: Array<{ message: string; error: unknown }>;
}

/** Every known command, for handlers that must not run. */
export const KNOWN_COMMANDS = [
  'Group.CallbackAfterGroupInfoChanged',
  'Group.CallbackAfterTopicInfoChanged',
  'Group.CallbackAfterCreateGroup',
  'Group.CallbackAfterGroupDestroyed',
  'Group.CallbackAfterCreateTopic',
  'Group.CallbackAfterTopicDestroyed',
] as const;

export function createRecordingReceiver(options: Partial<ReceiverOptions> = {}): RecordingReceiver {
  const logged: RecordingReceiver['logged'] = [];
  const receiver = createReceiver({
    sdkAppId: APP_ID,
    tokens: [TOKEN],
    now: () => NOW_MS,
    log: (message, error) => logged.push({ message, error }),
    ...options,
  });
  const handled: AnyEvent[] = [];
  const seenByAny: AnyEvent[] = [];
  const errors: ReceiverError[] = [];
  receiver.on(KNOWN_COMMANDS, (event) => {
    handled.push(event);
  });
  receiver.onAny((event) => {
    seenByAny.push(event);
  });
  receiver.onError((error) => {
    errors.push(error);
  });
  return { receiver, handled, seenByAny, errors, logged };
}
