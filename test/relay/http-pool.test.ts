import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClosedBeforeAnswer } from '../../src/relay/http-connection.js';
import { createHttpPool, type HttpPool, type HttpPoolOptions } from '../../src/relay/http-pool.js';
import { type RawServer, startRawServer } from './raw-http-server.js';

const servers: RawServer[] = [];
const pools: HttpPool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) pool.destroy(new Error('the test is over'));
  for (const server of servers.splice(0)) await server.close();
});

async function server(onRequest?: RawServer['onRequest']): Promise<RawServer> {
  const started = await startRawServer(onRequest);
  servers.push(started);
  return started;
}

function pool(port: number, options: Partial<HttpPoolOptions> = {}): HttpPool {
  const created = createHttpPool({ host: '127.0.0.1', port, secure: false, ...options });
  pools.push(created);
  return created;
}

/** A request to send, counting when the pool rendered it (it renders once it has room). */
function request(id: string, rendered: string[] = []): () => string {
  return () => {
    rendered.push(id);
    return `POST /hook HTTP/1.1\r\nHost: x\r\nwebhook-id: ${id}\r\nContent-Length: 2\r\n\r\nhi`;
  };
}

const statusOf = async (answer: Promise<{ status: number } | null>) => (await answer)?.status;

describe('the HTTP sink’s connection pool', () => {
  it('pipelines requests on busy connections, at most `pipelining` on each, and matches the answers in order', async () => {
    const raw = await server();
    const http = pool(raw.port, { connections: 2, pipelining: 3 });
    const rendered: string[] = [];
    const answers = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => http.send(request(id, rendered), 5_000));
    await vi.waitFor(() => expect(raw.requests).toHaveLength(6));
    // No room for the seventh: it is not even rendered (signed) yet.
    expect(rendered).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(raw.connections).toBe(2);
    expect(Math.max(...raw.requests.map((r) => r.open))).toBe(3);
    // Answered last first: each goes out in its request's order, several in one packet.
    for (const [n, r] of [...raw.requests.entries()].reverse()) r.answer(200 + n);
    const expected = ['a', 'b', 'c', 'd', 'e', 'f'].map(
      (id) => 200 + raw.requests.findIndex((r) => r.id === id),
    );
    expect(await Promise.all(answers.slice(0, 6).map(statusOf))).toEqual(expected);
    await vi.waitFor(() => expect(raw.requests).toHaveLength(7));
    raw.requests[6]!.answer(204);
    expect(await statusOf(answers[6]!)).toBe(204);
  });

  it('gives each request the answer to it, whichever connection carried it', async () => {
    const raw = await server((r) => r.answer(r.id === 'x' ? 503 : r.id === 'y' ? 429 : 202));
    const http = pool(raw.port, { connections: 1, pipelining: 4 });
    const ids = ['w', 'x', 'y', 'z'];
    const statuses = await Promise.all(ids.map((id) => statusOf(http.send(request(id), 5_000))));
    expect(statuses).toEqual([202, 503, 429, 202]);
  });

  it('sends one request at a time on each connection when pipelining is 1, on at most `connections`', async () => {
    const raw = await server();
    const http = pool(raw.port, { connections: 2, pipelining: 1 });
    const answers = ['a', 'b', 'c'].map((id) => http.send(request(id), 5_000));
    await vi.waitFor(() => expect(raw.requests).toHaveLength(2));
    expect(raw.connections).toBe(2);
    raw.requests[0]!.answer(204);
    await vi.waitFor(() => expect(raw.requests).toHaveLength(3));
    expect(raw.requests[2]).toMatchObject({ connection: raw.requests[0]!.connection, open: 1 });
    raw.requests[1]!.answer(204);
    raw.requests[2]!.answer(204);
    expect(await Promise.all(answers.map(statusOf))).toEqual([204, 204, 204]);
    expect(raw.connections).toBe(2);
  });

  it('sends the requests pipelined behind an answer again when the server closes after it, and pipelines no more for a while', async () => {
    let clock = 0;
    // A server that does not take pipelined requests: it answers one and hangs up unannounced.
    const raw = await server((r, socket) => {
      if (r.index > 1) return;
      r.answer(204);
      socket.end();
    });
    const http = pool(raw.port, {
      connections: 1,
      pipelining: 4,
      pipeliningPauseMs: 60_000,
      now: () => clock,
    });
    const ids = ['a', 'b', 'c', 'd'];
    const statuses = await Promise.all(ids.map((id) => statusOf(http.send(request(id), 5_000))));
    expect(statuses).toEqual([204, 204, 204, 204]);
    // Each dropped one went again, and from then on one at a time on each connection.
    expect(new Set(raw.requests.map((r) => r.id))).toEqual(new Set(ids));
    expect(raw.requests.slice(0, 4).map((r) => [r.id, r.connection, r.index])).toEqual([
      ['a', 1, 1],
      ['b', 1, 2],
      ['c', 1, 3],
      ['d', 1, 4],
    ]);
    expect(raw.requests.slice(4).every((r) => r.open === 1)).toBe(true);

    // Paused: a request waits for the answer before it, not even rendered (signed) until then.
    raw.onRequest = () => {};
    const rendered: string[] = [];
    const paused = ['e', 'f'].map((id) => http.send(request(id, rendered), 5_000));
    expect(rendered).toEqual(['e']);
    await vi.waitFor(() => expect(raw.requests.at(-1)?.id).toBe('e'));
    raw.requests.at(-1)!.answer(204);
    await vi.waitFor(() => expect(raw.requests.at(-1)?.id).toBe('f'));
    raw.requests.at(-1)!.answer(204);
    expect(await Promise.all(paused.map(statusOf))).toEqual([204, 204]);

    clock = 60_000;
    rendered.length = 0;
    const again = ['g', 'h'].map((id) => http.send(request(id, rendered), 5_000));
    expect(rendered).toEqual(['g', 'h']);
    await vi.waitFor(() => expect(raw.requests.at(-1)?.id).toBe('h'));
    expect(raw.requests.at(-1)!.open).toBe(2);
    for (const r of raw.requests.slice(-2)) r.answer(200);
    expect(await Promise.all(again.map(statusOf))).toEqual([200, 200]);
  });

  it('sends a request again, once, when a kept-alive connection closes as it goes out', async () => {
    const raw = await server((r) => r.answer(204));
    const http = pool(raw.port, { connections: 1, pipelining: 1 });
    expect(await statusOf(http.send(request('first'), 5_000))).toBe(204);
    raw.onRequest = (r, socket) => {
      // The server's keep-alive timeout ran out as the request came: it hangs up, unanswered.
      if (raw.requests.filter((q) => q.id === 'late').length === 1) socket.destroy();
      else r.answer(204);
    };
    expect(await statusOf(http.send(request('late'), 5_000))).toBe(204);
    expect(raw.requests.map((r) => r.id)).toEqual(['first', 'late', 'late']);
    // Again alone on a new connection and still no answer: the endpoint fails, no third send.
    raw.onRequest = (_r, socket) => socket.destroy();
    await expect(http.send(request('never'), 5_000)).rejects.toBeInstanceOf(ClosedBeforeAnswer);
    expect(raw.requests.filter((r) => r.id === 'never').map((r) => r.index)).toEqual([2, 1]);
  });

  it('fails a request left unanswered for timeoutMs, and sends the ones pipelined behind it again', async () => {
    const raw = await server((r) => {
      if (r.id !== 'stuck') r.answer(204);
    });
    const http = pool(raw.port, { connections: 1, pipelining: 2 });
    const stuck = http.send(request('stuck'), 300);
    const behind = http.send(request('behind'), 5_000);
    await expect(stuck).rejects.toThrow('no answer within 300 ms');
    expect(await statusOf(behind)).toBe(204);
    expect(raw.requests.map((r) => [r.id, r.connection])).toEqual([
      ['stuck', 1],
      ['behind', 1],
      ['behind', 2],
    ]);
  });

  it('fails every request with the connection’s error when nothing listens', async () => {
    const raw = await server();
    const port = raw.port;
    await raw.close();
    servers.length = 0;
    const http = pool(port, { connections: 1, pipelining: 4 });
    const failures = await Promise.allSettled(['a', 'b'].map((id) => http.send(request(id), 5_000)));
    for (const failure of failures) {
      expect(failure).toMatchObject({ status: 'rejected', reason: { code: 'ECONNREFUSED' } });
    }
  });

  it('sends nothing for a request whose render says no when its turn comes', async () => {
    const raw = await server((r) => r.answer(204));
    const http = pool(raw.port, { connections: 1, pipelining: 1 });
    let go = true;
    const first = http.send(request('first'), 5_000);
    const skipped = http.send(() => (go ? request('skipped')() : null), 5_000);
    go = false; // e.g. a 410 Gone came meanwhile: the queued request is dropped, not sent
    expect(await statusOf(first)).toBe(204);
    expect(await skipped).toBeNull();
    expect(raw.requests.map((r) => r.id)).toEqual(['first']);
  });

  it('fails what is in flight and what is queued when destroyed', async () => {
    const raw = await server();
    const http = pool(raw.port, { connections: 1, pipelining: 1 });
    const inFlight = http.send(request('a'), 5_000);
    const queued = http.send(request('b'), 5_000);
    await vi.waitFor(() => expect(raw.requests).toHaveLength(1));
    http.destroy(new Error('the relay is stopping'));
    await expect(inFlight).rejects.toThrow('the relay is stopping');
    await expect(queued).rejects.toThrow('the relay is stopping');
  });

  it('closes a connection that sends an answer nobody asked for', async () => {
    const raw = await server((_r, socket) => {
      socket.write('HTTP/1.1 204 X\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    });
    const http = pool(raw.port, { connections: 1, pipelining: 1 });
    expect(await statusOf(http.send(request('a'), 5_000))).toBe(204);
    raw.onRequest = (r) => r.answer(202);
    expect(await statusOf(http.send(request('b'), 5_000))).toBe(202);
    expect(raw.requests.map((r) => [r.id, r.connection])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });
});
