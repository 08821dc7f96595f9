import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The recorder's HTTP server, with timeouts for the IM backend's kept-alive connections. */
export function createHttpServer(routeRequest: Parameters<typeof createServer>[1]): Server {
  const server = createServer(
    { keepAlive: true, headersTimeout: 10_000, requestTimeout: 15_000 },
    routeRequest,
  );
  // The IM backend keeps connections alive (docs/protocol.md §1); outlast common proxy idle timeouts.
  server.keepAliveTimeout = 65_000;
  server.maxConnections = 10_000;
  return server;
}

/** Listens on `port` and `host`; resolves with the server's URL. */
export async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const info = server.address() as AddressInfo;
  const shown = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  return `http://${shown}:${info.port}`;
}

/** Stops taking connections; resolves once the last one has closed. */
export function stopListening(server: Server): Promise<void> {
  return server.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
}

/** Closes the idle connections, and after 5 s any left, once their answers are out; waits for `closed`. */
export async function closeConnections(server: Server, closed: Promise<void>): Promise<void> {
  server.closeIdleConnections();
  const force = setTimeout(() => server.closeAllConnections(), 5_000);
  force.unref();
  await closed;
  clearTimeout(force);
}
