import { createHmac } from 'node:crypto';
import { type ClientRequest, Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { parseRetryAfter } from './backoff.js';
import { type DeliveryOutcome, describeError, type RelayMessage, type Sink } from './sink.js';
import type { HttpSinkSettings } from './sink-config.js';

/** I/O of the HTTP sink that tests replace. */
export interface HttpSinkIo {
  now?: () => number;
}

/** Errors that mean nothing reached the endpoint: it is down, not refusing. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * The HTTP webhook sink: POSTs each message as JSON, signed the Standard Webhooks way
 * (PROTOCOL.md §5: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256
 * of id.timestamp.body>`). 2xx is delivered; 429 and 503 are retried after `Retry-After`; 410
 * disables the sink; a redirect, any other status or no answer within `timeoutMs` is a failure.
 * Different groups go out `concurrency` at a time over keep-alive connections; one group's
 * changes one at a time, in order, and none after one that failed.
 */
export function createHttpSink(settings: HttpSinkSettings, secret: string, io: HttpSinkIo = {}): Sink {
  const { now = Date.now } = io;
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const target = new URL(settings.url);
  const secure = target.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  const agentOptions = { keepAlive: true, maxSockets: settings.concurrency };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const inFlight = new Set<ClientRequest>();

  function sign(id: string, timestamp: number, body: string): string {
    return createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  }

  function post(message: RelayMessage): Promise<DeliveryOutcome> {
    // A fresh timestamp per attempt: consumers refuse old ones (Standard Webhooks: 5 min tolerance).
    const timestamp = Math.floor(now() / 1000);
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: DeliveryOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        inFlight.delete(req);
        resolve(outcome);
      };
      const req = send(target, {
        method: 'POST',
        agent,
        headers: {
          ...settings.headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(message.body),
          'user-agent': 'timhook-relay',
          'webhook-id': message.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': `v1,${sign(message.id, timestamp, message.body)}`,
        },
      });
      inFlight.add(req);
      const timer = setTimeout(
        () => req.destroy(new Error(`no answer within ${settings.timeoutMs} ms`)),
        settings.timeoutMs,
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        const text = describeError(error);
        finish(
          error.code !== undefined && UNREACHABLE.has(error.code)
            ? { kind: 'unreachable', message: text }
            : { kind: 'failed', message: `POST ${settings.url}: ${text}` },
        );
      });
      req.on('response', (res) => {
        // The answer's body is not used; read it so the connection goes back to the pool.
        res.resume();
        res.on('error', () =>
          finish({ kind: 'failed', message: `POST ${settings.url}: the answer broke off` }),
        );
        res.on('end', () => finish(judge(res.statusCode ?? 0, res.headers['retry-after'])));
      });
      req.end(message.body);
    });
  }

  function judge(status: number, retryAfter: string | undefined): DeliveryOutcome {
    if (status >= 200 && status < 300) return null;
    if (status === 410) return { kind: 'gone', message: `HTTP 410 Gone from ${settings.url}` };
    const refusal = `HTTP ${status} from ${settings.url}`;
    if (status === 429 || status === 503) {
      const retryAfterMs = parseRetryAfter(retryAfter ?? null, now());
      if (retryAfterMs !== undefined) return { kind: 'failed', message: refusal, retryAfterMs };
    }
    return { kind: 'failed', message: refusal };
  }

  return {
    name: settings.name,
    type: 'http',
    async deliver(messages, signal) {
      const outcomes: DeliveryOutcome[] = messages.map(() => ({ kind: 'deferred' }));
      const lanes = new Map<string, number[]>();
      messages.forEach((message, index) => {
        const lane = message.event.groupId ?? message.event.topicId ?? '';
        const indexes = lanes.get(lane);
        if (indexes) indexes.push(index);
        else lanes.set(lane, [index]);
      });
      const queue = [...lanes.values()];
      let gone = false;
      const stop = () => {
        for (const req of inFlight) req.destroy(new Error('the relay is stopping'));
      };
      signal.addEventListener('abort', stop, { once: true });
      async function work(): Promise<void> {
        for (let lane = queue.shift(); lane; lane = queue.shift()) {
          for (const index of lane) {
            if (gone || signal.aborted) return;
            const outcome = await post(messages[index]!);
            outcomes[index] = outcome;
            if (outcome?.kind === 'gone') gone = true;
            if (outcome !== null) break; // the rest of this group waits: order
          }
        }
      }
      try {
        await Promise.all(Array.from({ length: Math.min(settings.concurrency, queue.length) }, work));
      } finally {
        signal.removeEventListener('abort', stop);
      }
      return outcomes;
    },
    async close() {
      for (const req of inFlight) req.destroy(new Error('the sink is closing'));
      agent.destroy();
    },
  };
}
