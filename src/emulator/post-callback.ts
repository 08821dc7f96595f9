import { createHash } from 'node:crypto';
import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { buildCallbackUrl, type CallbackUrlParts } from '../protocol/index.js';
import type { DeliveryOutcome } from './delivery-log.js';

/** How one attempt ended, as the delivery log records it. */
export interface AttemptResult {
  outcome: DeliveryOutcome;
  status: number | null;
  answer: unknown;
  actionStatus: string | null;
  error: string | null;
}

/** Where a callback goes, parsed once: every attempt only appends its signature to `path`. */
export interface CallbackTarget {
  secure: boolean;
  hostname: string;
  port: number;
  /** Path and the unsigned query (docs/protocol.md §1): `…?SdkAppid=…&…&OptPlatform=…`. */
  path: string;
  /** `http://host:port`, to show the URL in the log. */
  origin: string;
}

/** The target of a callback URL with its unsigned query. */
export function resolveTarget(base: string, parts: Omit<CallbackUrlParts, 'sign'>): CallbackTarget {
  const url = new URL(buildCallbackUrl(base, parts));
  const secure = url.protocol === 'https:';
  return {
    secure,
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : secure ? 443 : 80,
    path: `${url.pathname}${url.search}`,
    origin: url.origin,
  };
}

/**
 * `Sign` = hex SHA-256 of token + RequestTime (docs/protocol.md §1; the protocol layer's `computeSign`),
 * with node:crypto, kept for the rest of the second: every callback of one second has the same.
 */
export function createSigner(): (token: string, requestTime: number) => string {
  let lastToken = '';
  let lastTime = -1;
  let lastSign = '';
  return function signCallback(token, requestTime) {
    if (token !== lastToken || requestTime !== lastTime) {
      lastToken = token;
      lastTime = requestTime;
      lastSign = createHash('sha256').update(`${token}${requestTime}`).digest('hex');
    }
    return lastSign;
  };
}

/** POSTs callback bodies over kept-alive connections and judges the answers. */
export interface CallbackPoster {
  /** One attempt: resolves when the answer is read, the timeout passes, or the connection fails. */
  post(target: CallbackTarget, path: string, text: string, options: PostOptions): Promise<AttemptResult>;
  /** Aborts every request in flight and closes every connection. */
  close(): void;
}

/** Per-attempt settings. */
export interface PostOptions {
  timeoutMs: number;
  contentType: string | null;
}

const MAX_ANSWER_BYTES = 65_536;
const MAX_ANSWER_TEXT = 1024;

/** A poster keeping at most `maxSockets` connections per receiver (docs/protocol.md §1: kept alive). */
export function createCallbackPoster(maxSockets: number): CallbackPoster {
  const agentOptions = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);
  const inFlight = new Set<ClientRequest>();
  let closed = false;

  async function post(target: CallbackTarget, path: string, text: string, options: PostOptions) {
    const first = await postOnce(target, path, text, options);
    // A kept-alive socket the receiver closed just as it was reused fails at once with a reset;
    // that is not the receiver's answer, so it is sent again on a fresh socket.
    if (first.reused && first.result.outcome === 'error' && !closed) {
      return (await postOnce(target, path, text, options)).result;
    }
    return first.result;
  }

  function postOnce(
    target: CallbackTarget,
    path: string,
    text: string,
    options: PostOptions,
  ): Promise<{ result: AttemptResult; reused: boolean }> {
    return new Promise((resolve) => {
      // Host and Content-Length, and no Content-Type unless asked: the documented example's headers.
      const headers: Record<string, string | number> = { 'Content-Length': Buffer.byteLength(text) };
      if (options.contentType) headers['Content-Type'] = options.contentType;
      const req = (target.secure ? httpsRequest : httpRequest)({
        hostname: target.hostname,
        port: target.port,
        path,
        method: 'POST',
        agent: target.secure ? httpsAgent : httpAgent,
        headers,
      });
      inFlight.add(req);
      let done = false;
      const finish = (result: AttemptResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        inFlight.delete(req);
        resolve({ result, reused: req.reusedSocket });
      };
      // The timeout covers the whole exchange, connection to last byte of the answer.
      const timer = setTimeout(() => {
        finish(failure('timeout', `no answer within ${options.timeoutMs} ms`));
        req.destroy();
      }, options.timeoutMs);
      req.on('response', (res) => readAnswer(res, finish));
      req.on('error', (error: NodeJS.ErrnoException) =>
        finish(failure('error', error.code ? `${error.code}: ${error.message}` : error.message)),
      );
      req.end(text);
    });
  }

  return {
    post,
    close() {
      closed = true;
      for (const req of inFlight) req.destroy();
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function failure(outcome: 'timeout' | 'error', error: string): AttemptResult {
  return { outcome, status: null, answer: null, actionStatus: null, error };
}

/** Reads the receiver's answer (up to 64 KiB) and judges it against the envelope (docs/protocol.md §1). */
function readAnswer(res: IncomingMessage, finish: (result: AttemptResult) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
  });
  res.on('error', (error) => finish(failure('error', error.message)));
  res.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    let answer: unknown = text.length > MAX_ANSWER_TEXT ? `${text.slice(0, MAX_ANSWER_TEXT)}…` : text;
    let actionStatus: string | null = null;
    try {
      answer = JSON.parse(text);
      const field = (answer as { ActionStatus?: unknown } | null)?.ActionStatus;
      if (typeof field === 'string') actionStatus = field;
    } catch {
      // Not JSON: kept as text, judged below.
    }
    // A non-200 status or a non-JSON body is a failure on the IM side (docs/protocol.md §1).
    const outcome: DeliveryOutcome =
      status !== 200
        ? 'http-error'
        : actionStatus === 'OK'
          ? 'ok'
          : actionStatus === 'FAIL'
            ? 'fail'
            : 'bad-answer';
    finish({ outcome, status, answer, actionStatus, error: null });
  });
}
