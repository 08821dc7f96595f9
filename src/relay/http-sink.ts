import { createHmac } from 'node:crypto';
import { Pool } from 'undici';
import { parseRetryAfter } from './backoff.js';
import { HttpExchange, holdingConnector } from './http-exchange.js';
import { type DeliveryOutcome, describeError, type RelayMessage, type Sink } from './sink.js';
import type { HttpSinkSettings } from './sink-config.js';
import { createSlots } from './slots.js';

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

/** Most bytes of an answer's body read (and thrown away) before the connection is closed instead. */
const ANSWER_BODY_LIMIT = 64 * 1024;

const deferred: DeliveryOutcome = { kind: 'deferred' };

/** The reason a request in flight is given up with when the relay stops. */
const stopped = new Error('the relay is stopping');

/**
 * The headers every request has: the configured ones, and URL credentials as basic auth, as
 * `fetch` and `node:http` do.
 */
function fixedHeaders(target: URL, configured: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'timhook-relay',
  };
  const names = Object.keys(configured).map((name) => name.toLowerCase());
  if ((target.username || target.password) && !names.includes('authorization')) {
    const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  for (const [name, value] of Object.entries(configured)) {
    if (!OWN_HEADERS.has(name.toLowerCase())) headers[name] = value;
  }
  return headers;
}

/**
 * The HTTP webhook sink: POSTs each message as JSON, signed the Standard Webhooks way
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
 * id.timestamp.body>`). 2xx is delivered; 429 and 503 are retried after `Retry-After`; 410
 * disables the sink; a redirect, any other status or no answer within `timeoutMs` is a failure.
 *
 * The connections are undici's `Pool`: `concurrency` keep-alive connections, up to `pipelining`
 * requests on each (a round trip on a loaded machine waits for both processes to be scheduled, so
 * one request per connection at a time caps a pool at `concurrency` per round trip). A delivery is
 * marked idempotent and not blocking so undici pipelines it (undici's defaults keep a POST alone
 * on its connection): the `webhook-id` makes a re-send harmless, and undici sends again what was
 * pipelined behind a request whose connection closed. At most
 * `concurrency × pipelining` requests are handed to the pool at once, so each is signed, and
 * checked against a 410 or a stop, only when it can go out. A request is handed over with the
 * pool's `dispatch` and a handler that keeps the status and `Retry-After` only
 * (`http-exchange.ts`); a stop gives up what a `deliver` call has in flight. Each connection holds
 * its writes until the end of the tick, so that the requests released together leave together.
 *
 * One group's changes go one at a time, in order, and none after one that failed. It is a
 * pipelined sink to the relay too: a group's changes in a later call wait for those of an earlier
 * call still in flight; in a call sent ahead (the relay has not seen the earlier outcomes), they
 * are deferred while an earlier change of the group failed or was deferred and has not been
 * delivered since.
 */
export function createHttpSink(settings: HttpSinkSettings, secret: string, io: HttpSinkIo = {}): Sink {
  const { now = Date.now } = io;
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const target = new URL(settings.url);
  const path = `${target.pathname}${target.search}`;
  const pool = new Pool(target.origin, {
    connections: settings.concurrency,
    pipelining: settings.pipelining,
    connect: holdingConnector({ timeout: settings.timeoutMs }),
    headersTimeout: settings.timeoutMs,
    bodyTimeout: settings.timeoutMs,
  });
  const slots = createSlots(settings.concurrency * settings.pipelining);
  const fixed = Object.entries(fixedHeaders(target, settings.headers ?? {})).flat();
  // Per group: the end of its last lane sent (a later lane waits for it), and the seqs that failed
  // or were deferred and not delivered since (a lane sent ahead does not overtake them).
  const tails = new Map<string, Promise<void>>();
  const unsettled = new Map<string, Set<number>>();

  function sign(id: string, timestamp: number, body: Buffer): string {
    return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  }

  /**
   * The headers of one attempt, signed as it goes out, as undici's flat list of names and values.
   * The body is encoded once, for the signature and the request alike.
   */
  function headersOf(message: RelayMessage, body: Buffer): string[] {
    // A fresh timestamp per attempt: consumers refuse old ones (Standard Webhooks: 5 min tolerance).
    const timestamp = Math.floor(now() / 1000);
    const { id } = message;
    return [
      ...fixed,
      'webhook-id',
      id,
      'webhook-timestamp',
      String(timestamp),
      'webhook-signature',
      `v1,${sign(id, timestamp, body)}`,
    ];
  }

  /** POSTs `message` once there is room and `go()` still says so; undefined: not sent. */
  async function post(
    message: RelayMessage,
    go: () => boolean,
    inFlight: Set<HttpExchange>,
  ): Promise<DeliveryOutcome | undefined> {
    const release = await slots.take();
    if (!go()) {
      release();
      return undefined;
    }
    const body = Buffer.from(message.body);
    const exchange = HttpExchange.send(
      pool,
      {
        path,
        method: 'POST',
        headers: headersOf(message, body),
        body,
        idempotent: true,
        blocking: false,
      },
      ANSWER_BODY_LIMIT,
    );
    inFlight.add(exchange);
    try {
      const answer = await exchange.answer;
      return judge(answer.status, answer.retryAfter);
    } catch (error) {
      if (error === stopped) return undefined;
      const text = describeError(error);
      const code = (error as NodeJS.ErrnoException).code;
      return code !== undefined && UNREACHABLE.has(code)
        ? { kind: 'unreachable', message: text }
        : { kind: 'failed', message: `POST ${settings.url}: ${text}` };
    } finally {
      inFlight.delete(exchange);
      release();
    }
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
      // One listener per call, not per request: a stop gives up what this call has in flight.
      const inFlight = new Set<HttpExchange>();
      const stop = () => {
        for (const exchange of inFlight) exchange.abort(stopped);
      };
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
            const outcome = await post(messages[index]!, () => !gone && !signal.aborted, inFlight);
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
      await pool.destroy(new Error('the sink is closing'));
    },
  };
}
