import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopback } from '../../src/server/http.js';
import type { Recorder } from '../../src/server/index.js';
import { createHarness, groupChange, OK, request, sendCallback } from './support.js';

const harness = createHarness();
afterEach(() => harness.cleanup());

const API_TOKEN = 'api-secret-token';
const G1 = '@TGS#2J4SZEAEL';

/** An IPv4 address of this machine that is not loopback, or undefined when it has none. */
// The project machine (and so CI) has a non-loopback IPv4 address; without one these tests fail
// with a clear message rather than skip (no skipped tests in CI).
function externalAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((info) => info && info.family === 'IPv4' && !info.internal)?.address;
  if (!address) throw new Error('this machine has no non-loopback IPv4 address to test remote peers from');
  return address;
}

function portOf(recorder: Recorder): number {
  return Number(new URL(recorder.url).port);
}

const UNAUTHORIZED = { error: { code: 'unauthorized', message: 'send Authorization: Bearer <api token>' } };
const LOOPBACK_ONLY = {
  error: {
    code: 'loopback_only',
    message: 'the API answers this machine only; start with --api-token to open it',
  },
};

describe('with an API token', () => {
  it.each([
    ['no Authorization header', {}],
    ['a wrong bearer token', { authorization: 'Bearer not-the-token' }],
    ['the token as a prefix', { authorization: `Bearer ${API_TOKEN}x` }],
    ['the token without the Bearer scheme', { authorization: API_TOKEN }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('answers 401 to %s', async (_, headers) => {
    const recorder = await harness.start({ apiToken: API_TOKEN });
    for (const path of ['/api/events', '/api/groups', '/api/stream', '/api/refusals', '/metrics']) {
      const answer = await request(recorder, path, { headers });
      expect(answer.status, path).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="timhook"');
      expect(answer.json).toEqual(UNAUTHORIZED);
    }
  });

  it.each([['bearer'], ['BEARER'], ['BeArEr']])(
    'reads the scheme %s case-insensitively, as HTTP says',
    async (scheme) => {
      const recorder = await harness.start({ apiToken: API_TOKEN });
      const answer = await request(recorder, '/api/events', {
        headers: { authorization: `${scheme} ${API_TOKEN}` },
      });
      expect(answer.status).toBe(200);
    },
  );

  it('answers the API, the stream and the metrics with the right bearer token', async () => {
    const recorder = await harness.start({ apiToken: API_TOKEN });
    const headers = { authorization: `Bearer ${API_TOKEN}` };
    expect((await request(recorder, '/api/events', { headers })).json).toEqual({ events: [], next: null });
    expect((await request(recorder, '/metrics', { headers })).status).toBe(200);
    const stream = await harness.stream(recorder, '', headers);
    expect(stream.status).toBe(200);
    expect(await stream.next()).toBe('retry: 2000');
  });

  it('leaves the callback endpoint to the Sign: no bearer needed, and a bearer is no Sign', async () => {
    const recorder = await harness.start({ apiToken: API_TOKEN });
    expect((await sendCallback(recorder, groupChange(G1, { Name: 'Signed' }))).json).toEqual(OK);
    const unsigned = await fetch(`${recorder.callbackUrl}?SdkAppid=1400000000&CallbackCommand=x`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}` },
      body: JSON.stringify(groupChange(G1, { Name: 'Bearer only' })),
    });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 40101 });
  });

  it('serves the dashboard files without the token (they hold no data): the page asks for it', async () => {
    const recorder = await harness.start({ apiToken: API_TOKEN });
    for (const path of [
      '/',
      '/health',
      `/groups/${encodeURIComponent(G1)}`,
      '/ui/js/main.js',
      '/ui/style.css',
    ]) {
      expect((await request(recorder, path)).status, path).toBe(200);
    }
    expect((await request(recorder, '/ui/missing.js')).status).toBe(404);
    expect((await request(recorder, '/api/stats/rate')).status).toBe(401);
    expect((await request(recorder, '/api/export')).status).toBe(401);
  });

  it('keeps /healthz and /readyz open for probes', async () => {
    const recorder = await harness.start({ apiToken: API_TOKEN });
    expect((await request(recorder, '/healthz')).status).toBe(200);
    expect((await request(recorder, '/readyz')).status).toBe(200);
  });

  it('answers a peer on another address when it brings the token', async () => {
    const recorder = await harness.start({ apiToken: API_TOKEN, host: '0.0.0.0' });
    const base = `http://${externalAddress()}:${portOf(recorder)}`;
    const answer = await request(base, '/api/events', {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(answer.status).toBe(200);
    expect((await request(base, '/api/events')).status).toBe(401);
  });
});

describe('without an API token', () => {
  it('answers a loopback peer', async () => {
    const recorder = await harness.start();
    expect((await request(recorder, '/api/events')).status).toBe(200);
  });

  // This machine's own non-loopback address reaches a server listening on 0.0.0.0 with that
  // address as the peer: a real non-loopback connection without a second machine.
  it('answers 403 to a peer that is not this machine, on the API, the stream, the metrics and /', async () => {
    const recorder = await harness.start({ host: '0.0.0.0' });
    const base = `http://${externalAddress()}:${portOf(recorder)}`;
    for (const path of [
      '/api/events',
      `/api/groups/${encodeURIComponent(G1)}`,
      '/api/stream',
      '/metrics',
      '/',
      '/ui/js/main.js',
      '/api/export',
      '/api/stats/rate',
    ]) {
      const answer = await request(base, path);
      expect(answer.status, path).toBe(403);
      expect(answer.json).toEqual(LOOPBACK_ONLY);
    }
    expect((await request(`http://127.0.0.1:${portOf(recorder)}`, '/api/events')).status).toBe(200);
  });

  it('still takes signed callbacks and health probes from a peer that is not this machine', async () => {
    const recorder = await harness.start({ host: '0.0.0.0' });
    const base = `http://${externalAddress()}:${portOf(recorder)}`;
    const answer = await sendCallback(
      { callbackUrl: `${base}/callback` },
      groupChange(G1, { Name: 'Remote' }),
    );
    expect(answer.json).toEqual(OK);
    expect((await request(base, '/healthz')).status).toBe(200);
    const logged = await request(`http://127.0.0.1:${portOf(recorder)}`, '/api/events');
    expect(logged.json).toMatchObject({ events: [{ changes: { Name: 'Remote' } }] });
  });
});

describe('isLoopback', () => {
  const peer = (remoteAddress: string | undefined) => ({ socket: { remoteAddress } }) as IncomingMessage;

  it.each(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'])('counts %s as this machine', (address) => {
    expect(isLoopback(peer(address))).toBe(true);
  });

  it.each(['192.0.2.2', '::ffff:192.0.2.2', 'fd00::2', '10.127.0.1', '', undefined])(
    'counts %s as another machine',
    (address) => {
      expect(isLoopback(peer(address))).toBe(false);
    },
  );
});
