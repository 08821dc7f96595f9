import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { type AnswerReader, createAnswerReader, type HttpAnswer } from './http-answer.js';

/** Keep-alive HTTP/1.1 connections to one origin, one request at a time on each. */
export interface HttpPool {
  /**
   * Sends one request, `head` (request line and headers, ending in an empty line) then `body`, on
   * an idle connection or a new one; resolves with the answer, rejects with the socket's error
   * (its `code`, e.g. ECONNREFUSED) or a timeout after `timeoutMs`.
   */
  send(head: string, body: string, timeoutMs: number): Promise<HttpAnswer>;
  /** Destroys every connection; what is in flight fails with `reason`. */
  destroy(reason: Error): void;
}

/** Where the pool connects. */
export interface HttpOrigin {
  host: string;
  port: number;
  secure: boolean;
  /** Longest a connection stays open unused, ms: below the usual server keep-alive (Node: 5 s). */
  idleMs?: number;
}

interface Connection {
  socket: Socket;
  reader: AnswerReader;
  exchange: Exchange | null;
}

interface Exchange {
  resolve(answer: HttpAnswer): void;
  reject(error: Error): void;
}

/** The connection closed before a byte of the answer came. */
class ClosedBeforeAnswer extends Error {
  override name = 'ClosedBeforeAnswer';
}

/**
 * Creates the pool. It is the HTTP sink's own minimal client: a request is one write of text and
 * an answer is read for its status and framing only, several times cheaper than `node:http`
 * (whose request objects, header maps and streams cost most of a webhook's CPU). A request that
 * meets a kept-alive connection the server has just closed is sent once more on a new one.
 */
export function createHttpPool(origin: HttpOrigin): HttpPool {
  const { host, port, secure, idleMs = 4_000 } = origin;
  const idle: Connection[] = [];
  const open = new Set<Connection>();
  // Bumped by `destroy`: a connection made across it is dropped, its request failed with the reason.
  let generation = 0;
  let destroyedBy: Error | null = null;

  function connect(timeoutMs: number): Promise<Connection> {
    const made = generation;
    return new Promise((resolve, reject) => {
      const socket = secure
        ? connectTls({ host, port, servername: isIp(host) ? '' : host, ALPNProtocols: ['http/1.1'] })
        : connectTcp({ host, port });
      const ready = secure ? 'secureConnect' : 'connect';
      const timer = setTimeout(
        () => socket.destroy(new Error(`no connection within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      socket.once('error', fail);
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.off('error', fail);
        if (made !== generation) {
          socket.destroy();
          reject(destroyedBy!);
          return;
        }
        socket.setNoDelay(true);
        const connection: Connection = { socket, reader: createAnswerReader(), exchange: null };
        open.add(connection);
        socket.on('data', (chunk: Buffer) => onData(connection, chunk));
        socket.on('error', () => {}); // 'close' follows and says it
        socket.on('timeout', () => socket.destroy()); // idle too long
        socket.on('close', () => onClose(connection));
        resolve(connection);
      });
    });
  }

  function onData(connection: Connection, chunk: Buffer): void {
    const { exchange } = connection;
    if (!exchange) {
      connection.socket.destroy(); // an answer nobody asked for
      return;
    }
    let answer: HttpAnswer | null;
    try {
      answer = connection.reader.push(chunk);
    } catch (error) {
      connection.exchange = null;
      connection.socket.destroy();
      exchange.reject(error as Error);
      return;
    }
    if (answer) finish(connection, exchange, answer);
  }

  function onClose(connection: Connection): void {
    open.delete(connection);
    const at = idle.indexOf(connection);
    if (at >= 0) idle.splice(at, 1);
    const { exchange } = connection;
    if (!exchange) return;
    connection.exchange = null;
    const answer = connection.reader.end();
    if (answer) exchange.resolve(answer);
    else if (!connection.reader.started)
      exchange.reject(new ClosedBeforeAnswer('the connection closed before the answer'));
    else exchange.reject(new Error('the connection closed in the middle of the answer'));
  }

  function finish(connection: Connection, exchange: Exchange, answer: HttpAnswer): void {
    connection.exchange = null;
    if (answer.close) connection.socket.destroy();
    else {
      connection.reader = createAnswerReader();
      connection.socket.setTimeout(idleMs);
      connection.socket.unref();
      idle.push(connection);
    }
    exchange.resolve(answer);
  }

  function exchange(connection: Connection, payload: string, timeoutMs: number): Promise<HttpAnswer> {
    const { socket } = connection;
    socket.setTimeout(0);
    socket.ref();
    return new Promise<HttpAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        connection.exchange = null;
        socket.destroy();
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      connection.exchange = {
        resolve(answer) {
          clearTimeout(timer);
          resolve(answer);
        },
        reject(error) {
          clearTimeout(timer);
          reject(error);
        },
      };
      socket.write(payload);
    });
  }

  return {
    async send(head, body, timeoutMs) {
      const payload = head + body;
      const reused = idle.pop();
      if (reused) {
        try {
          return await exchange(reused, payload, timeoutMs);
        } catch (error) {
          // The server closed the kept-alive connection as the request went out: try a new one.
          if (!(error instanceof ClosedBeforeAnswer)) throw error;
        }
      }
      return exchange(await connect(timeoutMs), payload, timeoutMs);
    },
    destroy(reason) {
      generation++;
      destroyedBy = reason;
      for (const connection of open) {
        const { exchange } = connection;
        connection.exchange = null;
        connection.socket.destroy();
        exchange?.reject(reason);
      }
      open.clear();
      idle.length = 0;
    },
  };
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
