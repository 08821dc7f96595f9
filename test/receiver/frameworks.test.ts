import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import ts from 'typescript';
import { afterEach, describe, expect, it } from 'vitest';
import { receiveNodeRequest, toFastifyRoute, toNodeHandler, writeResult } from '../../src/receiver/index.js';
import { createRecordingReceiver, groupChangedBody, signedPath } from './support/callbacks.js';
import { sendHttp } from './support/http-client.js';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function listenNode(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return (server.address() as AddressInfo).port;
}

async function listenFastify(app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  cleanups.push(() => app.close());
  return (app.server.address() as AddressInfo).port;
}

const agent = () => {
  const created = new http.Agent({ keepAlive: false });
  cleanups.push(async () => created.destroy());
  return created;
};

describe('the node adapter', () => {
  it('says nothing of a client that goes away mid-body, and keeps serving', async () => {
    const { receiver, handled, errors, logged } = createRecordingReceiver();
    const handler = toNodeHandler(receiver);
    let seen!: () => void;
    let closed!: () => void;
    const requestSeen = new Promise<void>((resolve) => {
      seen = resolve;
    });
    const requestClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const server = http.createServer((req, res) => {
      req.once('close', () => closed());
      handler(req, res);
      seen();
    });
    const port = await listenNode(server);
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`POST ${signedPath()} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"Group`);
    await requestSeen;
    socket.destroy();
    await requestClosed;
    expect(logged).toEqual([]);
    expect(errors).toEqual([]);
    expect(handled).toEqual([]);
    const next = await sendHttp(port, agent(), { path: signedPath(), body: groupChangedBody() });
    expect(next.status).toBe(200);
  });
});

describe('receiveNodeRequest and writeResult', () => {
  it('answer an OK with a frozen set of extra headers every time, and read an unfrozen set anew', async () => {
    const { receiver, handled } = createRecordingReceiver();
    const frozen = Object.freeze({ 'x-served-by': 'frozen' });
    const open: Record<string, string> = { 'x-served-by': 'first' };
    const server = http.createServer((req, res) => {
      const extra = req.url?.includes('OptPlatform=Web') ? open : frozen;
      receiveNodeRequest(
        receiver,
        req,
        (result) => writeResult(res, result, extra),
        (error) => res.destroy(error as Error),
      );
    });
    const port = await listenNode(server);
    const send = (platform: string) =>
      sendHttp(port, agent(), { path: signedPath({ OptPlatform: platform }), body: groupChangedBody() });
    for (const answer of [await send('RESTAPI'), await send('RESTAPI')]) {
      expect(answer.status).toBe(200);
      expect(answer.headers['x-served-by']).toBe('frozen');
      expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(answer.json).toEqual({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });
    }
    expect((await send('Web')).headers['x-served-by']).toBe('first');
    open['x-served-by'] = 'second';
    expect((await send('Web')).headers['x-served-by']).toBe('second');
    expect(handled).toHaveLength(4);
  });

  it('hands an error thrown by done to fail, once, and the server stays up', async () => {
    const { receiver } = createRecordingReceiver();
    const failures: unknown[] = [];
    let first = true;
    const server = http.createServer((req, res) => {
      receiveNodeRequest(
        receiver,
        req,
        (result) => {
          if (first) {
            first = false;
            throw new Error('done broke');
          }
          writeResult(res, result);
        },
        (error) => {
          failures.push(error);
          res.writeHead(500).end('failed');
        },
      );
    });
    const port = await listenNode(server);
    const broken = await sendHttp(port, agent(), { path: signedPath(), body: groupChangedBody() });
    expect(broken.status).toBe(500);
    expect(failures).toEqual([new Error('done broke')]);
    const next = await sendHttp(port, agent(), { path: signedPath(), body: groupChangedBody() });
    expect(next.status).toBe(200);
    expect(failures).toHaveLength(1);
  });
});

describe('the Express adapter', () => {
  it('answers 500 and logs a hint, instead of hanging, when a body parser ran first', async () => {
    const { receiver, handled, logged } = createRecordingReceiver();
    const app = express();
    app.use(express.json());
    app.post('/callback', toNodeHandler(receiver));
    const port = await listenNode(http.createServer(app));
    const answer = await sendHttp(port, agent(), {
      path: signedPath(),
      headers: { 'content-type': 'application/json' },
      body: groupChangedBody(),
    });
    expect(answer.status).toBe(500);
    expect(answer.json).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 50001 });
    expect(handled).toEqual([]);
    expect(logged).toEqual([
      {
        message: '[timhook] unexpected error in the node adapter',
        error: expect.objectContaining({
          message: expect.stringMatching(/mount the receiver before any body parser/),
        }),
      },
    ]);
  });

  it('leaves the other routes of the app alone', async () => {
    const { receiver } = createRecordingReceiver();
    const app = express();
    app.post('/callback', toNodeHandler(receiver));
    app.post('/echo', express.json(), (req, res) => {
      res.json(req.body);
    });
    const port = await listenNode(http.createServer(app));
    const echoed = await sendHttp(port, agent(), {
      path: '/echo',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(echoed.json).toEqual({ a: 1 });
  });
});

describe('the Fastify adapter', () => {
  it('bypasses Fastify’s body limit, content-type parsers and error format on the callback route', async () => {
    const { receiver, handled } = createRecordingReceiver();
    const app = Fastify({ bodyLimit: 64 });
    app.route(toFastifyRoute(receiver));
    const port = await listenFastify(app);
    const body = groupChangedBody({ Introduction: 'longer than Fastify’s own 64-byte limit' });
    for (const headers of [
      {},
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-unknown' },
    ]) {
      const answer = await sendHttp(port, agent(), { path: signedPath(), headers, body });
      expect(answer.status, JSON.stringify(headers)).toBe(200);
    }
    expect(handled).toHaveLength(3);
    const refused = await sendHttp(port, agent(), { path: signedPath(), body: '{' });
    expect(refused.json).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 40003 });
  });

  it('mounts at the given url and leaves the other routes to Fastify', async () => {
    const { receiver, handled } = createRecordingReceiver();
    const app = Fastify();
    app.route(toFastifyRoute(receiver, { url: '/hooks/tim' }));
    app.post('/echo', async (request) => request.body);
    const port = await listenFastify(app);
    const path = signedPath().replace('/callback', '/hooks/tim');
    expect((await sendHttp(port, agent(), { path, body: groupChangedBody() })).status).toBe(200);
    expect(handled).toHaveLength(1);
    const echoed = await sendHttp(port, agent(), {
      path: '/echo',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(echoed.json).toEqual({ a: 1 });
    const missing = await sendHttp(port, agent(), { path: signedPath(), body: groupChangedBody() });
    expect(missing.status).toBe(404);
  });
});

describe('timhook/receiver', () => {
  it('imports no web framework at run time: the adapters only import their types', () => {
    const imports: string[] = [];
    for (const folder of ['receiver', 'protocol']) {
      const dir = new URL(`../../src/${folder}/`, import.meta.url);
      for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
        const source = readFileSync(new URL(file, dir), 'utf8');
        const { outputText } = ts.transpileModule(source, {
          compilerOptions: { module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true },
        });
        for (const { fileName } of ts.preProcessFile(outputText).importedFiles) imports.push(fileName);
      }
    }
    expect(imports.filter((name) => /^(fastify|hono|express|@hono\/)/.test(name))).toEqual([]);
    expect(imports.filter((name) => !name.startsWith('.') && !name.startsWith('node:')).sort()).toEqual(
      expect.arrayContaining(['zod']),
    );
  });
});
