import { request as httpRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildCallbackUrl, computeSign } from '../../src/protocol/index.js';
import { runCli, sendChange, type Spawned, startServe, tempDir } from '../cli/support.js';
import { newWebhookSecret, startWebhookReceiver, type WebhookReceiver } from '../relay/support.js';

// A page on evil.example whose name the attacker re-points at 127.0.0.1 (DNS rebinding) reaches the
// recorder with the attacker's name in Host and, on writes, in Origin. Black-box: a real `serve`.

const EVIL = 'evil.example';
const WAIT = { timeout: 15_000, interval: 20 };

/** An answer read over a raw `node:http` request (fetch cannot set `Host`). */
interface RawAnswer {
  status: number;
  text: string;
  json: unknown;
}

/** Sends one request to 127.0.0.1:`port` with exactly the headers given; reads the whole answer. */
function rawRequest(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          // A stream that was let in never ends by itself: its first bytes are enough.
          if (res.headers['content-type']?.startsWith('text/event-stream')) res.destroy();
        });
        const done = () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json });
        };
        res.on('end', done);
        res.on('close', done);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${path} in 10 s`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

const portOf = (url: string) => Number(new URL(url).port);

/** One route of each family that is not the callback: API, stream, metrics, dashboard, relay, export. */
const ROUTES = [
  '/api/events',
  '/api/groups',
  '/api/openapi.json',
  '/api/stream',
  '/metrics',
  '/',
  '/ui/js/main.js',
  '/api/relay',
  '/api/relay/hook',
  '/api/export?format=jsonl',
];

const FOREIGN_HOST = { error: { code: 'foreign_host' } };

describe('serve without --api-token, with one relay sink', () => {
  const dir = tempDir();
  let hook: WebhookReceiver;
  let serve: Spawned;
  let port: number;
  let base: string;

  beforeAll(async () => {
    hook = await startWebhookReceiver();
    const config = join(dir.path, 'timhook.config.json');
    writeFileSync(
      config,
      JSON.stringify({ sinks: [{ name: 'hook', type: 'http', url: hook.url, secretEnv: 'HOOK_SECRET' }] }),
    );
    const started = await startServe(join(dir.path, 'timhook.db'), ['--config', config], {
      HOOK_SECRET: newWebhookSecret(),
    });
    serve = started.serve;
    base = started.url;
    port = portOf(base);
    for (const name of ['one', 'two', 'three']) {
      expect((await sendChange(base, { GroupId: '@TGS#foreign', Name: name })).answer.ActionStatus).toBe(
        'OK',
      );
    }
    await vi.waitFor(() => expect(hook.requests).toHaveLength(3), WAIT);
  });

  afterAll(async () => {
    serve?.child.kill('SIGKILL');
    await serve?.exited;
    await hook?.stop();
    dir.remove();
  });

  it.each(ROUTES)('answers 403 foreign_host to %s with Host: evil.example', async (path) => {
    const answer = await rawRequest(port, path, { headers: { host: `${EVIL}:${port}` } });
    expect(answer.status).toBe(403);
    expect(answer.json).toMatchObject(FOREIGN_HOST);
  });

  it('refuses a foreign Host without a port, and one that only ends in a loopback name', async () => {
    for (const host of [
      EVIL,
      `localhost.${EVIL}:${port}`,
      `127.0.0.1.${EVIL}`,
      `${EVIL}:${port}@127.0.0.1`,
    ]) {
      const answer = await rawRequest(port, '/api/events', { headers: { host } });
      expect(answer.status, host).toBe(403);
    }
  });

  it.each(['localhost', '127.0.0.1', '[::1]', 'LOCALHOST'])(
    'answers a request that names the service %s, with any port',
    async (name) => {
      for (const host of [`${name}:${port}`, name, `${name}:1`]) {
        const answer = await rawRequest(port, '/api/events', { headers: { host } });
        expect(answer.status, host).toBe(200);
      }
    },
  );

  it('takes a signed callback and answers health probes whatever the Host', async () => {
    const requestTime = Math.floor(Date.now() / 1000);
    const url = new URL(
      buildCallbackUrl(`${base}/callback`, {
        sdkAppId: '1400000001',
        command: 'Group.CallbackAfterGroupInfoChanged',
        sign: { sign: computeSign('tok', requestTime), requestTime },
      }),
    );
    const body = JSON.stringify({
      CallbackCommand: 'Group.CallbackAfterGroupInfoChanged',
      GroupId: '@TGS#other',
      Type: 'Public',
      Operator_Account: 'tester',
      Name: 'from behind a proxy',
    });
    const callback = await rawRequest(port, `${url.pathname}${url.search}`, {
      method: 'POST',
      headers: { host: `${EVIL}:${port}`, origin: 'null' },
      body,
    });
    expect(callback.json).toMatchObject({ ActionStatus: 'OK' });
    expect((await rawRequest(port, '/healthz', { headers: { host: EVIL } })).status).toBe(200);
    expect((await rawRequest(port, '/readyz', { headers: { host: EVIL } })).status).toBe(200);
  });

  it('does not move the sink: a replay POST with a foreign Host and Origin is refused', async () => {
    const replay = (headers: Record<string, string>) =>
      rawRequest(port, '/api/relay/hook/replay', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ from: 1 }),
      });
    const rebound = await replay({ host: `${EVIL}:${port}`, origin: `http://${EVIL}:${port}` });
    expect(rebound).toMatchObject({ status: 403, json: FOREIGN_HOST });
    const cases: Array<[string, Record<string, string>]> = [
      ['Origin: null', { origin: 'null' }],
      ['a foreign Origin', { origin: `http://${EVIL}:${port}` }],
      ['an Origin on another port', { origin: `http://127.0.0.1:${port + 1}` }],
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ];
    for (const [name, headers] of cases) {
      const answer = await replay({ host: `127.0.0.1:${port}`, ...headers });
      expect(answer.status, name).toBe(403);
      expect(answer.json, name).toMatchObject({ error: { code: 'cross_site' } });
    }
    // The relay delivers in order: had a replay gone through, seqs 1-3 would come again before 5
    // (seq 4 is the callback of the test above).
    expect((await sendChange(base, { GroupId: '@TGS#foreign', Name: 'five' })).answer.ActionStatus).toBe(
      'OK',
    );
    await vi.waitFor(() => expect(hook.requests).toHaveLength(5), WAIT);
    expect(hook.requests.map((r) => r.headers['webhook-id'])).toEqual([
      '1400000001:1',
      '1400000001:2',
      '1400000001:3',
      '1400000001:4',
      '1400000001:5',
    ]);
    await vi.waitFor(async () => {
      const status = await rawRequest(port, '/api/relay/hook', { headers: { host: `localhost:${port}` } });
      expect(status.json).toMatchObject({ cursor: 5 });
    }, WAIT);
  });

  it('lets a same-origin write through: the dashboard replays a sink', async () => {
    const answer = await rawRequest(port, '/api/relay/hook/replay', {
      method: 'POST',
      headers: {
        host: `localhost:${port}`,
        origin: `http://localhost:${port}`,
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ from: 5 }),
    });
    expect(answer.status).toBe(200);
    await vi.waitFor(() => expect(hook.requests).toHaveLength(6), WAIT);
    expect(hook.requests[5]!.headers['webhook-id']).toBe('1400000001:5');
  });
});

describe('serve with names added by --public-host and TIMHOOK_PUBLIC_HOST', () => {
  const dir = tempDir();
  const started: Spawned[] = [];

  afterAll(async () => {
    for (const serve of started) serve.child.kill('SIGKILL');
    await Promise.all(started.map((serve) => serve.exited));
    dir.remove();
  });

  async function start(extra: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
    const { serve, url } = await startServe(join(dir.path, `${started.length}.db`), extra, env);
    started.push(serve);
    return portOf(url);
  }

  it('answers the added names as well as loopback, and still refuses others', async () => {
    const port = await start(['--public-host', 'timhook.internal', '--public-host', 'hooks.example.com'], {
      TIMHOOK_PUBLIC_HOST: 'ignored.example',
    });
    for (const host of ['timhook.internal', `hooks.example.com:${port}`, `localhost:${port}`]) {
      expect((await rawRequest(port, '/api/events', { headers: { host } })).status, host).toBe(200);
    }
    for (const host of [`${EVIL}:${port}`, 'ignored.example']) {
      expect((await rawRequest(port, '/api/events', { headers: { host } })).status, host).toBe(403);
    }
  });

  it('reads a comma list from TIMHOOK_PUBLIC_HOST', async () => {
    const port = await start([], { TIMHOOK_PUBLIC_HOST: 'a.example, b.example:8443' });
    expect((await rawRequest(port, '/api/events', { headers: { host: 'a.example' } })).status).toBe(200);
    expect((await rawRequest(port, '/api/events', { headers: { host: 'b.example:8443' } })).status).toBe(200);
    expect((await rawRequest(port, '/api/events', { headers: { host: 'b.example:9000' } })).status).toBe(403);
  });

  it('with --api-token, allows any Host unless --public-host is given', async () => {
    const token = 'foreign-host-api-token';
    const auth = { authorization: `Bearer ${token}` };
    const open = await start(['--api-token', token]);
    const host = `${EVIL}:${open}`;
    expect((await rawRequest(open, '/api/events', { headers: { host, ...auth } })).status).toBe(200);
    const named = await start(['--api-token', token, '--public-host', 'hooks.example.com']);
    const refused = await rawRequest(named, '/api/events', {
      headers: { host: `${EVIL}:${named}`, ...auth },
    });
    expect(refused).toMatchObject({ status: 403, json: FOREIGN_HOST });
    const allowed = await rawRequest(named, '/api/events', {
      headers: { host: 'hooks.example.com', ...auth },
    });
    expect(allowed.status).toBe(200);
  });

  it('says what --public-host does in serve --help', async () => {
    const help = await runCli(['serve', '--help']);
    expect(help.stdout).toMatch(
      /--public-host <value> \(repeatable\)\n\s+.*Host.*\n?.*env TIMHOOK_PUBLIC_HOST/,
    );
  });
});
