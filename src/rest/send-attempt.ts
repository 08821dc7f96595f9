import { randomInt } from 'node:crypto';
import { type Dispatcher, request } from 'undici';
import { RestCodes } from './errors.js';
import { parseAnswerText } from './parse-answers.js';
import type { RestOutcome } from './types.js';

/** What one HTTP attempt of a REST call came to. */
export type Attempt =
  | { outcome: 'ok'; answer: Record<string, unknown> }
  | { outcome: 'error' | 'fatal' | 'busy' | 'over-limit'; errorCode: number; errorInfo: string }
  | {
      outcome: Extract<RestOutcome, 'network' | 'timeout' | 'answer'>;
      retryable: boolean;
      reason: string;
      cause?: unknown;
    };

/** Where and as whom one attempt is sent. */
export interface AttemptTarget {
  dispatcher: Dispatcher;
  baseUrl: string;
  sdkAppId: string;
  identifier: string;
  userSig: string;
  timeoutMs: number;
}

// A REST answer is a small JSON envelope; a bigger one is refused rather than buffered.
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/**
 * Sends `POST <base>/v4/<api>?sdkappid=&identifier=&usersig=&random=&contenttype=json` with `body`
 * (JSON text) and classifies what came back. Never throws.
 */
export async function sendAttempt(target: AttemptTarget, api: string, body: string): Promise<Attempt> {
  const query = new URLSearchParams({
    sdkappid: target.sdkAppId,
    identifier: target.identifier,
    usersig: target.userSig,
    // A fresh 32-bit unsigned number per request (RESTful API overview).
    random: String(randomInt(0, 2 ** 32)),
    contenttype: 'json',
  });
  const signal = AbortSignal.timeout(target.timeoutMs);
  let status: number;
  let text: string;
  try {
    const response = await request(`${target.baseUrl}/v4/${api}?${query}`, {
      method: 'POST',
      dispatcher: target.dispatcher,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body,
      signal,
      headersTimeout: target.timeoutMs,
      bodyTimeout: target.timeoutMs,
    });
    status = response.statusCode;
    text = await readText(response.body);
  } catch (error) {
    return failedTransport(error, signal, target.timeoutMs);
  }
  return classifyAnswer(status, text);
}

async function readText(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      throw new TooLarge(`the answer is over ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

class TooLarge extends Error {}

function failedTransport(error: unknown, signal: AbortSignal, timeoutMs: number): Attempt {
  if (error instanceof TooLarge) return { outcome: 'answer', retryable: false, reason: error.message };
  const code = (error as { code?: unknown }).code;
  const timedOut =
    signal.aborted ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT';
  if (timedOut) {
    return { outcome: 'timeout', retryable: true, reason: `no answer within ${timeoutMs} ms`, cause: error };
  }
  const detail = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  return { outcome: 'network', retryable: true, reason: `the connection failed: ${detail}`, cause: error };
}

function classifyAnswer(status: number, text: string): Attempt {
  if (status !== 200) {
    // The REST API answers 200 whatever happens: another status comes from a proxy or load
    // balancer in between, worth retrying only when it says "busy" or "broken".
    const retryable = status === 429 || status >= 500;
    return { outcome: 'answer', retryable, reason: `the answer was HTTP ${status}` };
  }
  let answer: unknown;
  try {
    answer = parseAnswerText(text);
  } catch {
    return { outcome: 'answer', retryable: false, reason: 'the answer is not JSON' };
  }
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
    return { outcome: 'answer', retryable: false, reason: 'the answer is not a JSON object' };
  }
  const envelope = answer as Record<string, unknown>;
  const errorCode = envelope.ErrorCode ?? 0;
  if (typeof errorCode !== 'number') {
    return { outcome: 'answer', retryable: false, reason: 'the answer’s ErrorCode is not a number' };
  }
  if (envelope.ActionStatus === 'OK' && errorCode === 0) return { outcome: 'ok', answer: envelope };
  const errorInfo = typeof envelope.ErrorInfo === 'string' ? envelope.ErrorInfo : '';
  return { outcome: outcomeOf(errorCode), errorCode, errorInfo };
}

function outcomeOf(errorCode: number): 'error' | 'fatal' | 'busy' | 'over-limit' {
  if (RestCodes.fatal.has(errorCode)) return 'fatal';
  if (RestCodes.overLimit.has(errorCode)) return 'over-limit';
  if (RestCodes.retryable.has(errorCode)) return 'busy';
  return 'error';
}
