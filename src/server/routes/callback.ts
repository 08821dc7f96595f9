import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleNodeRequest, type Receiver, ReceiverError, writeResult } from '../../receiver/index.js';
import {
  type AppendResult,
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
  deps.receiver.onAny(async (event) => {
    let result: AppendResult;
    try {
      [result] = (await deps.log.append([toLogEntry(event)])) as [AppendResult];
    } catch (error) {
      if (error instanceof QueueOverloadedError)
        throw new ReceiverError('Overloaded', error.message, { cause: error });
      if (error instanceof StoreUnavailableError)
        throw new ReceiverError('StoreUnavailable', error.message, { cause: error });
      // The database's address stays out of the answer.
      if (error instanceof PostgresUnavailableError) {
        throw new ReceiverError(
          'StoreUnavailable',
          'the database is unavailable: the event was not recorded',
          {
            cause: error,
          },
        );
      }
      throw error;
    }
    deps.metrics.countAccepted(event.command);
    // The live stream hears it from the log's commit (see log-follower.ts), before this answer.
    if (result.duplicate) deps.metrics.duplicates.inc();
  });
  deps.receiver.onError((error) => {
    if (error.code === 'HandlerFailed') {
      deps.logger.error('a callback could not be recorded', { error: error.cause ?? error });
    }
  });
}

/**
 * Every answer of the recorder says so (router.ts); the callback's goes in its one `writeHead`: a
 * header set before it makes Node merge the two, header by header.
 */
const NO_SNIFF: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
});

/** Answers one callback request and keeps a sanitized record of a refusal. */
export async function serveCallback(
  deps: CallbackDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const result = await handleNodeRequest(deps.receiver, req);
  writeResult(res, result, NO_SNIFF);
  if (result.error) recordRefusal(deps, req, result.error);
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
