import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Receiver, ReceiverError, receiveNodeRequest, writeResult } from '../../receiver/index.js';
import {
  type ChangeLog,
  PostgresUnavailableError,
  QueueOverloadedError,
  StoreUnavailableError,
  toLogEntry,
} from '../../store/index.js';
import type { Logger } from '../logger.js';
import type { RecorderMetrics } from '../metrics.js';
import type { RecentRefusals } from '../recent-refusals.js';

/** What the callback endpoint needs. */
export interface CallbackDeps {
  receiver: Receiver;
  log: Pick<ChangeLog, 'append'>;
  metrics: RecorderMetrics;
  refusals: RecentRefusals;
  logger: Logger;
}

/**
 * Wires the receiver to the log: every accepted callback is committed (group commit) before it is
 * answered OK. A full commit queue answers 503 FAIL at once (never hang past the IM backend's 2 s
 * timeout); so does a log that cannot write (a full disk, a lost file, a lost database connection).
 */
export function attachRecorder(deps: CallbackDeps): void {
  // A `then`, not an async function: one promise per callback fewer (create-receiver.ts dispatch).
  deps.receiver.onAny((event) =>
    deps.log.append([toLogEntry(event)]).then(
      (results) => {
        deps.metrics.countAccepted(event.command);
        // The live stream hears it from the log's commit (see log-follower.ts), before this answer.
        if (results[0]?.duplicate) deps.metrics.duplicates.inc();
      },
      (error: unknown) => {
        throw toRefusal(error);
      },
    ),
  );
  deps.receiver.onError((error) => {
    if (error.code === 'HandlerFailed') {
      deps.logger.error('a callback could not be recorded', { error: error.cause ?? error });
    }
  });
}

/** An append's failure as the callback's answer: a refusal with its reason, or the error as it came. */
function toRefusal(error: unknown): unknown {
  if (error instanceof QueueOverloadedError)
    return new ReceiverError('Overloaded', error.message, { cause: error });
  if (error instanceof StoreUnavailableError) {
    return new ReceiverError('StoreUnavailable', error.message, { cause: error });
  }
  // The database's address stays out of the answer.
  if (error instanceof PostgresUnavailableError) {
    return new ReceiverError('StoreUnavailable', 'the database is unavailable: the event was not recorded', {
      cause: error,
    });
  }
  return error;
}

/**
 * Every answer of the recorder says so (router.ts); the callback's goes in its one `writeHead`: a
 * header set before it makes Node merge the two, header by header.
 */
const NO_SNIFF: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
});

/**
 * Answers one callback request and keeps a sanitized record of a refusal; an unexpected error (a
 * body stream that failed) goes to `fail`.
 */
export function serveCallback(
  deps: CallbackDeps,
  req: IncomingMessage,
  res: ServerResponse,
  fail: (error: unknown) => void,
): void {
  receiveNodeRequest(
    deps.receiver,
    req,
    (result) => {
      writeResult(res, result, NO_SNIFF);
      if (result.error) recordRefusal(deps, req, result.error);
    },
    fail,
  );
}

function recordRefusal(deps: CallbackDeps, req: IncomingMessage, error: ReceiverError): void {
  deps.metrics.refused.inc({ reason: error.code });
  const url = req.url ?? '';
  const params = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  // Only what helps find a misconfiguration: never Sign, never the body.
  deps.refusals.add({
    at: Date.now(),
    code: error.code,
    errorCode: error.errorCode,
    status: error.status,
    message: error.message,
    command: clip(params.get('CallbackCommand')),
    sdkAppId: clip(params.get('SdkAppid')),
    clientIp: clip(params.get('ClientIP')),
    remoteAddress: req.socket.remoteAddress ?? null,
  });
  // The log's own fault is logged once when it starts and once when it clears (create-recorder.ts).
  if (error.status >= 500 && error.code !== 'StoreUnavailable')
    deps.logger.warn('callback answered FAIL', { code: error.code, message: error.message });
}

function clip(value: string | null): string | null {
  return value === null ? null : value.slice(0, 100);
}
