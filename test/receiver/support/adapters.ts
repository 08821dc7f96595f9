import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { type Receiver, toFastifyRoute, toHonoHandler, toNodeHandler } from '../../../src/receiver/index.js';
import {
  CHUNK,
  type EndlessAnswer,
  type EndlessRequest,
  sendEndlessHttp,
  sendHttp,
  TEN_MIB,
  type TestAnswer,
  type TestRequest,
  tryJson,
} from './http-client.js';

/** A receiver mounted at `/callback` on one server kind, and a client to reach it. */
export interface Harness {
  send(request: TestRequest): Promise<TestAnswer>;
  sendEndless(request: EndlessRequest): Promise<EndlessAnswer>;
  close(): Promise<void>;
}

/** One way to serve a receiver. */
export interface Adapter {
  name: string;
  /** True when requests go over a real socket. */
  overSocket: boolean;
  start(receiver: Receiver): Promise<Harness>;
}

/** The path every adapter mounts the receiver at. */
export const CALLBACK_PATH = '/callback';

async function listen(server: http.Server): Promise<number> {
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  }
  return (server.address() as AddressInfo).port;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function socketHarness(server: http.Server, close?: () => Promise<void>): Promise<Harness> {
  const port = await listen(server);
  const agent = new http.Agent({ keepAlive: true });
  return {
    send: (request) => sendHttp(port, agent, request),
    sendEndless: (request) => sendEndlessHttp(port, request),
    async close() {
      agent.destroy();
      await (close ? close() : closeServer(server));
    },
  };
}

/** Calls the web `fetch` handler in-process, with no socket. */
function inProcessHarness(receiver: Receiver): Harness {
  async function toAnswer(response: Response): Promise<TestAnswer> {
    const text = await response.text();
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      text,
      json: tryJson(text),
    };
  }
  return {
    async send(request) {
      const method = request.method ?? 'POST';
      const init: RequestInit = { method };
      if (request.headers) init.headers = request.headers;
      if (request.body !== undefined && method !== 'GET' && method !== 'HEAD')
        init.body = typeof request.body === 'string' ? request.body : new Uint8Array(request.body);
      return toAnswer(await receiver.fetch(new Request(`http://localhost${request.path}`, init)));
    },
    async sendEndless(request) {
      const limit = request.limit ?? TEN_MIB;
      let offered = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          // Past the limit, hang rather than end: a reader that waited for the end never returns.
          if (offered >= limit) return new Promise(() => {});
          offered += CHUNK.byteLength;
          controller.enqueue(CHUNK);
          return undefined;
        },
      });
      const init = { method: 'POST', body, duplex: 'half', headers: request.headers ?? {} };
      const response = await receiver.fetch(
        new Request(`http://localhost${request.path}`, init as RequestInit),
      );
      return { answer: await toAnswer(response), bytesOffered: offered };
    },
    async close() {},
  };
}

/** Every way timhook serves a receiver; suites run once per entry. */
export const ADAPTERS: readonly Adapter[] = [
  {
    name: 'node:http',
    overSocket: true,
    start: (receiver) => socketHarness(http.createServer(toNodeHandler(receiver))),
  },
  {
    name: 'Express 5',
    overSocket: true,
    start(receiver) {
      const app = express();
      app.all(CALLBACK_PATH, toNodeHandler(receiver));
      return socketHarness(http.createServer(app));
    },
  },
  {
    name: 'Fastify 5',
    overSocket: true,
    async start(receiver) {
      const app = Fastify();
      app.route(toFastifyRoute(receiver, { url: CALLBACK_PATH }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      return socketHarness(app.server, () => app.close());
    },
  },
  {
    name: 'Hono (@hono/node-server)',
    overSocket: true,
    async start(receiver) {
      const app = new Hono();
      app.all(CALLBACK_PATH, toHonoHandler(receiver));
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as http.Server;
      if (!server.listening) await once(server, 'listening');
      return socketHarness(server);
    },
  },
  {
    name: 'web fetch, in-process',
    overSocket: false,
    start: async (receiver) => inProcessHarness(receiver),
  },
];
