import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, expect, it, vi } from 'vitest';
import { holdingConnector } from '../../src/relay/http-exchange.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A TCP server that keeps what each connection sent, by the read it came in. */
async function listen(): Promise<{ port: number; reads: string[][] }> {
  const reads: string[][] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const mine: string[] = [];
    reads.push(mine);
    socket.on('data', (chunk: Buffer) => mine.push(chunk.toString()));
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, reads };
}

async function connect(port: number): Promise<Duplex> {
  const connector = holdingConnector({ timeout: 5_000 });
  return await new Promise<Duplex>((resolve, reject) =>
    connector({ hostname: '127.0.0.1', protocol: 'http:', port: String(port) }, (error, socket) =>
      error ? reject(error) : resolve(socket!),
    ),
  );
}

it('sends the writes of one tick together, and a lone write without waiting for another', async () => {
  const server = await listen();
  const socket = await connect(server.port);
  closers.push(() => socket.destroy());
  socket.write('a');
  socket.write('b');
  await Promise.resolve(); // a write from a microtask of the same tick joins them
  socket.write('c');
  expect(socket.writableLength).toBe(3); // held: nothing has gone out yet
  await new Promise((resolve) => setImmediate(resolve));
  expect(socket.writableLength).toBe(0);
  socket.write('d');
  await new Promise((resolve) => socket.write('e', resolve));
  await vi.waitFor(() => expect(server.reads[0]!.join('')).toBe('abcde'));
});

it('fails the held writes of a connection destroyed before they go out, and corks nothing twice', async () => {
  const server = await listen();
  const socket = await connect(server.port);
  socket.on('error', () => {});
  const results: unknown[] = [];
  socket.write('lost', (error) => results.push(error?.name ?? 'ok'));
  socket.destroy();
  await new Promise((resolve) => setImmediate(resolve));
  expect(results).toEqual(['Error']);
  // The connection after it holds and sends as the first did.
  const next = await connect(server.port);
  closers.push(() => next.destroy());
  await new Promise((resolve) => next.write('kept', resolve));
  expect(next.writableCorked).toBe(0);
});
