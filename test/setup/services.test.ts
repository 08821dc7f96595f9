import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';

import { missingServices } from './services.js';

let server: Server | undefined;
afterAll(() => server?.close());

async function listening(): Promise<number> {
  server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('the check at the start of the test run', () => {
  it('says nothing when every server answers and the browser is there', async () => {
    const port = await listening();
    expect(await missingServices([{ name: 'Up', host: '127.0.0.1', port }], process.execPath)).toEqual([]);
  });

  it('names each missing server and the browser, and says how to start them', async () => {
    const port = await closedPort();
    const lines = await missingServices(
      [{ name: 'Redis', host: '127.0.0.1', port }],
      '/nonexistent/chromium',
    );
    const text = lines.join('\n');
    expect(text).toContain(`missing: Redis on 127.0.0.1:${port}`);
    expect(text).toContain('npm run services');
    expect(text).toContain('docker compose up -d');
    expect(text).toContain('missing: Chromium at /nonexistent/chromium');
  });
});
