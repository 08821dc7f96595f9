import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';

/** One request as the raw server read it: its `webhook-id`, and where it came on its connection. */
export interface RawRequest {
  id: string;
  /** The connection it came on, numbered from 1 in the order they were accepted. */
  connection: number;
  /** Its place among the requests of its connection, from 1. */
  index: number;
  /** Requests of its connection unanswered when it came, itself included (> 1: pipelined). */
  open: number;

  /** Answers it; answers go out in the order of the requests, several in one write if ready. */
  answer(status: number, headers?: string): void;
}

/**
 * A TCP server that reads HTTP/1.1 requests off each connection and leaves the answers to the
 * test (`onRequest`), so that it sees exactly what a client pipelines, and can misbehave on purpose
 * (hang up, answer nothing, answer what was not asked).
 */
export interface RawServer {
  readonly port: number;
  readonly requests: RawRequest[];
  /** Connections accepted so far. */
  readonly connections: number;
  onRequest: (request: RawRequest, socket: Socket) => void;
  close(): Promise<void>;
}

/** Starts a {@link RawServer} on a loopback port. */
export async function startRawServer(onRequest: RawServer['onRequest'] = () => {}): Promise<RawServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.setEncoding('latin1');
    let buffer = '';
    const answers: Array<string | null> = [];
    let written = 0;
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.slice(0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        buffer = buffer.slice(end + 4 + length);
        const slot = answers.push(null) - 1;
        const request: RawRequest = {
          id: /\r\nwebhook-id: *(\S+)/i.exec(head)?.[1] ?? '',
          connection,
          index: slot + 1,
          open: answers.length - written,
          answer(status, headers = '') {
            answers[slot] = `HTTP/1.1 ${status} X\r\nContent-Length: 0\r\n${headers}\r\n`;
            let out = '';
            while (written < answers.length && answers[written] !== null) out += answers[written++];
            if (out && !socket.destroyed) socket.write(out);
          },
        };
        raw.requests.push(request);
        raw.onRequest(request, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const raw: RawServer = {
    port: (server.address() as AddressInfo).port,
    requests: [],
    get connections() {
      return connections;
    },
    onRequest,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return raw;
}
