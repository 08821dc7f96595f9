import { type CallbackAnswer, failAnswer, OK_ANSWER, OK_ANSWER_JSON } from '../protocol/index.js';
import type { ReceiverError } from './errors.js';

/** What to send back: HTTP status and the JSON envelope, as object and as text. */
export interface ReceiveResult {
  status: number;
  answer: CallbackAnswer;
  /** `answer` as JSON text, ready to write. */
  body: string;
  /** The refusal, when there was one. */
  error?: ReceiverError;
}

/** The answer to an accepted callback. */
export const OK_RESULT: Readonly<ReceiveResult> = Object.freeze({
  status: 200,
  answer: OK_ANSWER,
  body: OK_ANSWER_JSON,
});

/** The answer to a refused callback, in the documented envelope (docs/protocol.md §1). */
export function refusalResult(error: ReceiverError): ReceiveResult {
  const answer = failAnswer(error.errorCode, error.message);
  return { status: error.status, answer, body: JSON.stringify(answer), error };
}

/** Headers of every answer. */
export const ANSWER_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json; charset=utf-8',
});

/**
 * The headers of one answer: a 413 closes the connection (the rest of the body was never read),
 * a 405 says which method is allowed.
 */
export function answerHeaders(result: ReceiveResult): Record<string, string> {
  if (result.status === 413) return { ...ANSWER_HEADERS, connection: 'close' };
  if (result.status === 405) return { ...ANSWER_HEADERS, allow: 'POST' };
  return ANSWER_HEADERS;
}
