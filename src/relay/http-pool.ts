import type { HttpAnswer } from './http-answer.js';
import {
  type HttpConnection,
  type HttpOrigin,
  type HttpRequest,
  openHttpConnection,
} from './http-connection.js';

/** Keep-alive HTTP/1.1 connections to one origin, each carrying requests in order. */
export interface HttpPool {
  /**
   * Sends one request once there is room for it, in the order asked. `render` is called then and
   * returns the request's bytes (request line and headers ending in an empty line, then the body),
   * or null to send nothing after all (the promise then resolves null). Resolves with the answer;
   * rejects with the socket's error (its `code`, e.g. ECONNREFUSED) or a timeout after `timeoutMs`.
   */
  send(render: () => string | null, timeoutMs: number): Promise<HttpAnswer | null>;
  /** Destroys every connection; what is in flight or queued fails with `reason`. */
  destroy(reason: Error): void;
}

/** How many connections, and how many requests each may carry at once. */
export interface HttpPoolOptions extends HttpOrigin {
  /** Most connections open at once. Default 1. */
  connections?: number;
  /**
   * Most requests one connection carries at once, the later ones written before the earlier are
   * answered (HTTP/1.1 pipelining). Default 1: one at a time.
   */
  pipelining?: number;
  /** How long pipelining stays off after the server dropped a pipelined request, ms. Default 300000. */
  pipeliningPauseMs?: number;
  now?: () => number;
}

interface Queued {
  render: () => string | null;
  timeoutMs: number;
  resolve(answer: HttpAnswer | null): void;
  reject(error: Error): void;
}

/**
 * Creates the pool. It is the HTTP sink's own minimal client: a request is one write of text and
 * an answer is read for its status and framing only, several times cheaper than `node:http`
 * (whose request objects, header maps and streams cost most of a webhook's CPU).
 *
 * A request goes on an idle connection, else on a new one while there are fewer than
 * `connections`, else (`pipelining` > 1) behind the requests of the least busy connection. Why:
 * each round trip waits for both processes to be scheduled, which on a loaded machine takes
 * several milliseconds, so one request per connection at a time caps a pool at `connections`
 * requests per round trip however fast the endpoint, and a steady stream above that piles up
 * (issue 6: 16 connections at 10-17 ms a round trip fell below 2,000 webhooks/s). A server that
 * drops a pipelined request (some proxies refuse pipelining) gets one request at a time per
 * connection for `pipeliningPauseMs`; what it dropped is sent again.
 */
export function createHttpPool(options: HttpPoolOptions): HttpPool {
  const { connections: most = 1, pipelining = 1, pipeliningPauseMs = 300_000, now = Date.now } = options;
  const live = new Set<HttpConnection>();
  // FIFO of requests waiting for room; `resends` go first (they are older).
  let queue: Array<Queued | undefined> = [];
  let head = 0;
  let resends: HttpRequest[] = [];
  let pausedUntil = 0;
  let pumping = false;

  const events = {
    answered: () => pump(),
    closed(connection: HttpConnection, resend: HttpRequest[], refusedPipelining: boolean) {
      live.delete(connection);
      if (refusedPipelining) pausedUntil = now() + pipeliningPauseMs;
      for (const request of resend) request.resent = true;
      resends.push(...resend);
      pump();
    },
  };

  /**
   * The connection for the next request: an idle or a new one, or one to pipeline on; null: none
   * has room. A request sent again goes on a new connection, an idle one closed to make room.
   */
  function choose(resend: boolean): HttpConnection | 'new' | null {
    let best: HttpConnection | null = null;
    let idle: HttpConnection | null = null;
    for (const connection of live) {
      if (!connection.usable) continue;
      if (connection.load === 0) {
        if (!resend) return connection;
        idle = connection;
      } else if (!best || connection.load < best.load) best = connection;
    }
    if (live.size < most) return 'new';
    if (resend) {
      if (!idle) return null;
      live.delete(idle);
      idle.destroy(new Error('closed to make room')); // nothing in flight on it
      return 'new';
    }
    if (best && best.load < pipelining && now() >= pausedUntil) return best;
    return null;
  }

  function open(): HttpConnection {
    const connection = openHttpConnection(options, events);
    live.add(connection);
    return connection;
  }

  function pump(): void {
    if (pumping) return; // a connection's event during a write: the loop below goes on anyway
    pumping = true;
    try {
      while (resends.length > 0 || head < queue.length) {
        const chosen = choose(resends.length > 0);
        if (!chosen) return;
        const resent = resends.shift();
        if (resent) {
          (chosen === 'new' ? open() : chosen).write(resent);
          continue;
        }
        const next = queue[head]!;
        queue[head++] = undefined; // let it go
        if (head === queue.length) {
          queue = [];
          head = 0;
        }
        let payload: string | null;
        try {
          payload = next.render();
        } catch (error) {
          next.reject(error as Error);
          continue;
        }
        if (payload === null) {
          next.resolve(null);
          continue;
        }
        (chosen === 'new' ? open() : chosen).write({
          payload,
          timeoutMs: next.timeoutMs,
          resent: false,
          resolve: next.resolve,
          reject: next.reject,
        });
      }
    } finally {
      pumping = false;
    }
  }

  return {
    send(render, timeoutMs) {
      return new Promise((resolve, reject) => {
        queue.push({ render, timeoutMs, resolve, reject });
        pump();
      });
    },
    destroy(reason) {
      const waiting = [...(queue.slice(head) as Queued[]), ...resends];
      queue = [];
      head = 0;
      resends = [];
      for (const connection of [...live]) connection.destroy(reason);
      live.clear();
      for (const request of waiting) request.reject(reason);
    },
  };
}
