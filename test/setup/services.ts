/**
 * Runs once before the suite: checks that the servers and the browser the tests talk to are
 * there, and stops the run with one short message naming what is missing and how to start it,
 * rather than hundreds of failures.
 */
import { access, constants } from 'node:fs/promises';
import { connect } from 'node:net';

import { CHROMIUM } from './chromium.js';

export interface Needed {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

function pgTarget(): { host: string; port: number } {
  const url = process.env.TIMHOOK_TEST_PG_URL;
  if (url === undefined) return { host: '127.0.0.1', port: 5432 };
  const parsed = new URL(url);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || 5432) };
}

const SERVERS: readonly Needed[] = [
  { name: 'PostgreSQL', ...pgTarget() },
  { name: 'Redis', host: '127.0.0.1', port: 6379 },
  { name: 'NATS (JetStream)', host: '127.0.0.1', port: 4222 },
  { name: 'RabbitMQ', host: '127.0.0.1', port: 5672 },
];

function answers({ host, port }: Needed, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function executable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** What is missing, as the lines of one message; empty when everything answers. */
export async function missingServices(
  servers: readonly Needed[] = SERVERS,
  browser = CHROMIUM,
): Promise<string[]> {
  const missing: string[] = [];
  const up = await Promise.all(servers.map((server) => answers(server)));
  servers.forEach((server, i) => {
    if (!up[i]) missing.push(`${server.name} on ${server.host}:${server.port}`);
  });
  const hasBrowser = await executable(browser);
  if (missing.length === 0 && hasBrowser) return [];
  const lines = ['The tests need servers and a browser that are not here:'];
  if (missing.length > 0)
    lines.push(
      `  missing: ${missing.join(', ')}`,
      '  start them: `npm run services` (Debian) or `docker compose up -d`',
    );
  if (!hasBrowser)
    lines.push(`  missing: Chromium at ${browser}`, '  install it: `apt-get install chromium`');
  return lines;
}

export default async function checkServices(): Promise<void> {
  const lines = await missingServices();
  if (lines.length === 0) return;
  // One message and a failed run; a thrown error would bury it under vitest's stack print.
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(1);
}
