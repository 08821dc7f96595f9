import { createHmac } from 'node:crypto';
import { parseRetryAfter } from './backoff.js';
import type { HttpAnswer } from './http-answer.js';
import { createHttpPool } from './http-pool.js';
import { type DeliveryOutcome, describeError, type RelayMessage, type Sink } from './sink.js';
import type { HttpSinkSettings } from './sink-config.js';

/** I/O of the HTTP sink that tests replace. */
export interface HttpSinkIo {
  now?: () => number;
}

/** Errors that mean nothing reached the endpoint: it is down, not refusing. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The headers the sink sets itself; a configured header of the same name is left out. */
const OWN_HEADERS = new Set([
  'host',
  'content-type',
  'content-length',
  'user-agent',
  'connection',
  'transfer-encoding',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
]);

const deferred: DeliveryOutcome = { kind: 'deferred' };

/**
 * The request line and the headers every request has, written once: the configured headers (the
 * schema keeps them to one line each), and URL credentials as basic auth, as `node:http` does.
 */
function writeFixedHead(target: URL, headers: Record<string, string>): string {
  let head = `POST ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n`;
  head += 'Content-Type: application/json\r\nUser-Agent: timhook-relay\r\n';
  const names = Object.keys(headers).map((name) => name.toLowerCase());
  if ((target.username || target.password) && !names.includes('authorization')) {
    const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
    head += `Authorization: Basic ${Buffer.from(credentials).toString('base64')}\r\n`;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (!OWN_HEADERS.has(name.toLowerCase())) head += `${name}: ${value}\r\n`;
  }
  return head;
}

/**
 * The HTTP webhook sink: POSTs each message as JSON, signed the Standard Webhooks way
 * (PROTOCOL.md §5: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256
 * of id.timestamp.body>`). 2xx is delivered; 429 and 503 are retried after `Retry-After`; 410
 * disables the sink; a redirect, any other status or no answer within `timeoutMs` is a failure.
 * Different groups go out at once over `concurrency` keep-alive connections, up to `pipelining`
 * requests on each when all are busy (http-pool.ts); one group's changes one at a time, in order,
 * and none after one that failed. It is a pipelined sink to the relay too: a group's changes in a
 * later call wait for those of an earlier call still in flight; in a call sent ahead (the relay
 * has not seen the earlier outcomes), they are deferred while an earlier change of the group
 * failed or was deferred and has not been delivered since.
 */
export function createHttpSink(settings: HttpSinkSettings, secret: string, io: HttpSinkIo = {}): Sink {
  const { now = Date.now } = io;
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const target = new URL(settings.url);
  const secure = target.protocol === 'https:';
  const pool = createHttpPool({
    host: target.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(target.port) || (secure ? 443 : 80),
    secure,
    connections: settings.concurrency,
    pipelining: settings.pipelining,
  });
  const fixed = writeFixedHead(target, settings.headers ?? {});
  // Per group: the end of its last lane sent (a later lane waits for it), and the seqs that failed
  // or were deferred and not delivered since (a lane sent ahead does not overtake them).
  const tails = new Map<string, Promise<void>>();
  const unsettled = new Map<string, Set<number>>();

  function sign(id: string, timestamp: number, body: string): string {
    return createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  }

  /** The request of one attempt, signed as it goes out. */
  function render(message: RelayMessage): string {
    // A fresh timestamp per attempt: consumers refuse old ones (Standard Webhooks: 5 min tolerance).
    const timestamp = Math.floor(now() / 1000);
    const { id, body } = message;
    return (
      `${fixed}Content-Length: ${Buffer.byteLength(body)}\r\nwebhook-id: ${id}\r\n` +
      `webhook-timestamp: ${timestamp}\r\nwebhook-signature: v1,${sign(id, timestamp, body)}\r\n\r\n${body}`
    );
  }

  /** POSTs `message` once the pool has room and `go()` still says so; undefined: not sent. */
  async function post(message: RelayMessage, go: () => boolean): Promise<DeliveryOutcome | undefined> {
    let answer: HttpAnswer | null;
    try {
      answer = await pool.send(() => (go() ? render(message) : null), settings.timeoutMs);
    } catch (error) {
      const text = describeError(error);
      const code = (error as NodeJS.ErrnoException).code;
      return code !== undefined && UNREACHABLE.has(code)
        ? { kind: 'unreachable', message: text }
        : { kind: 'failed', message: `POST ${settings.url}: ${text}` };
    }
    return answer === null ? undefined : judge(answer.status, answer.retryAfter);
  }

  function judge(status: number, retryAfter: string | null): DeliveryOutcome {
    if (status >= 200 && status < 300) return null;
    if (status === 410) return { kind: 'gone', message: `HTTP 410 Gone from ${settings.url}` };
    const refusal = `HTTP ${status} from ${settings.url}`;
    if (status === 429 || status === 503) {
      const retryAfterMs = parseRetryAfter(retryAfter, now());
      if (retryAfterMs !== undefined) return { kind: 'failed', message: refusal, retryAfterMs };
    }
    return { kind: 'failed', message: refusal };
  }

  return {
    name: settings.name,
    type: 'http',
    pipelined: true,
    async deliver(messages, signal, options = {}) {
      const ahead = options.ahead === true;
      const outcomes: DeliveryOutcome[] = messages.map(() => deferred);
      const lanes = new Map<string, number[]>();
      messages.forEach((message, index) => {
        const lane = message.event.groupId ?? message.event.topicId ?? '';
        const indexes = lanes.get(lane);
        if (indexes) indexes.push(index);
        else lanes.set(lane, [index]);
      });
      let gone = false;
      const stop = () => pool.destroy(new Error('the relay is stopping'));
      signal.addEventListener('abort', stop, { once: true });

      /** Sends one group's messages in order, after its lane of an earlier call; stops at a failure. */
      async function sendLane(group: string, indexes: readonly number[]): Promise<void> {
        const before = tails.get(group);
        let settle = () => {};
        const tail = new Promise<void>((resolve) => (settle = resolve));
        tails.set(group, tail);
        let open = unsettled.get(group);
        /** Leaves the lane's messages from `k` on undelivered, as the group's unsettled ones. */
        const holdFrom = (k: number) => {
          if (!open) unsettled.set(group, (open = new Set()));
          for (let i = k; i < indexes.length; i++) open.add(messages[indexes[i]!]!.seq);
        };
        try {
          if (before) await before;
          open = unsettled.get(group);
          const first = messages[indexes[0]!]!.seq;
          if (!ahead) {
            // The relay sends again only what is not settled: what came before is delivered or given up.
            for (const seq of open ?? []) if (seq < first) open!.delete(seq);
          } else if (open && [...open].some((seq) => seq < first)) {
            holdFrom(0); // an earlier change of the group is still to be delivered: order
            return;
          }
          for (let k = 0; k < indexes.length; k++) {
            const index = indexes[k]!;
            if (gone || signal.aborted) return holdFrom(k);
            // Checked again when the pool has room: a 410 or a stop meanwhile sends nothing more.
            const outcome = await post(messages[index]!, () => !gone && !signal.aborted);
            if (outcome === undefined) return holdFrom(k);
            outcomes[index] = outcome;
            if (outcome?.kind === 'gone') gone = true;
            if (outcome !== null) return holdFrom(k); // the rest of this group waits: order
            open?.delete(messages[index]!.seq);
          }
        } finally {
          if (open?.size === 0 && unsettled.get(group) === open) unsettled.delete(group);
          if (tails.get(group) === tail) tails.delete(group);
          settle();
        }
      }

      try {
        await Promise.all([...lanes].map(([group, indexes]) => sendLane(group, indexes)));
      } finally {
        signal.removeEventListener('abort', stop);
      }
      return outcomes;
    },
    async close() {
      pool.destroy(new Error('the sink is closing'));
    },
  };
}
