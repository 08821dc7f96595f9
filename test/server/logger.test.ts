import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildCallbackUrl, computeSign } from '../../src/protocol/index.js';
import { createJsonLogger } from '../../src/server/index.js';
import { openChangeLog } from '../../src/store/index.js';
import {
  APP_ID,
  createHarness,
  GROUP_CHANGED,
  groupChange,
  OK,
  POLL,
  request,
  sendCallback,
  TOKEN,
} from './support.js';

const harness = createHarness();
afterEach(() => harness.cleanup());

/** A JSON logger whose lines a test reads back, parsed. */
function captureLogger(level?: 'debug' | 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createJsonLogger(
    (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
    level ? { level } : {},
  );
  return { logger, lines };
}

describe('createJsonLogger', () => {
  it('keeps the stack and the whole cause chain of a logged error', () => {
    const { logger, lines } = captureLogger();
    const root = Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    const middle = new Error('the commit failed', { cause: root });
    logger.error('a callback could not be recorded', { error: new TypeError('boom', { cause: middle }) });
    const error = lines[0]!.error as Record<string, unknown>;
    expect(error).toMatchObject({ name: 'TypeError', message: 'boom' });
    expect(error.stack).toMatch(/^TypeError: boom\n\s+at /);
    expect(error.cause).toMatchObject({
      name: 'Error',
      message: 'the commit failed',
      cause: { name: 'Error', message: 'disk I/O error', code: 'SQLITE_IOERR' },
    });
    expect((error.cause as { stack: string }).stack).toMatch(/^Error: the commit failed\n\s+at /);
  });

  it('writes a cause that is not an Error as it is, and stops at a cause that loops', () => {
    const { logger, lines } = captureLogger();
    const looped = new Error('a');
    const other = new Error('b', { cause: looped });
    (looped as { cause?: unknown }).cause = other;
    logger.warn('odd causes', { plain: new Error('plain', { cause: 'just text' }), looped });
    expect(lines[0]!.plain).toMatchObject({ message: 'plain', cause: 'just text' });
    expect(lines[0]!.looped).toMatchObject({ message: 'a', cause: { message: 'b', cause: '[circular]' } });
  });

  it('drops debug lines unless asked for them', () => {
    const quiet = captureLogger();
    quiet.logger.debug?.('hidden');
    quiet.logger.info('shown');
    expect(quiet.lines.map((l) => [l.level, l.msg])).toEqual([['info', 'shown']]);
    const chatty = captureLogger('debug');
    chatty.logger.debug?.('now shown');
    expect(chatty.lines.map((l) => [l.level, l.msg])).toEqual([['debug', 'now shown']]);
  });
});

describe('what the recorder logs', () => {
  it('logs a client that aborts a callback mid-body at debug, not at error', async () => {
    const { logger, lines } = captureLogger('debug');
    const recorder = await harness.start({ logger });
    const requestTime = Math.floor(Date.now() / 1000);
    const url = new URL(
      buildCallbackUrl(recorder.callbackUrl, {
        sdkAppId: APP_ID,
        command: GROUP_CHANGED,
        sign: { sign: computeSign(TOKEN, requestTime), requestTime },
      }),
    );
    const socket = harness.own(connect(Number(url.port), url.hostname));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{"CallbackCommand":`,
    );
    // The server has the headers once it answers the next request on another connection.
    await request(recorder, '/healthz');
    socket.destroy();
    await vi.waitFor(() => expect(lines.some((l) => JSON.stringify(l).includes('aborted'))).toBe(true), POLL);
    const aborted = lines.filter((l) => JSON.stringify(l).includes('aborted'));
    expect(aborted.map((l) => l.level)).toEqual(['debug']);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect((await sendCallback(recorder, groupChange('@TGS#after', { Name: 'still up' }))).json).toEqual(OK);
  });

  it('logs a failed API request with the stack and cause of its error', async () => {
    const { logger, lines } = captureLogger();
    const log = await openChangeLog({ db: harness.dbPath });
    log.listRendered = () =>
      Promise.reject(
        new Error('the page could not be read', { cause: new Error('database disk image is malformed') }),
      );
    const recorder = await harness.start({ logger, log });
    expect((await request(recorder, '/api/events')).status).toBe(500);
    const failed = lines.find((l) => l.msg === 'API request failed');
    expect(failed).toMatchObject({
      level: 'error',
      path: '/api/events',
      error: {
        message: 'the page could not be read',
        cause: { message: 'database disk image is malformed' },
      },
    });
    expect((failed!.error as { stack: string }).stack).toMatch(/^Error: the page could not be read\n\s+at /);
  });
});
