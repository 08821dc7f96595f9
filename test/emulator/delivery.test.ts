import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { DeliveryRecord, Emulator, EmulatorOptions } from '../../src/emulator/index.js';
import {
  answerOk,
  callRest,
  onCleanup,
  postJson,
  type ReceivedCallback,
  type Responder,
  startEmulator,
  startReceiver,
  type TestReceiver,
} from './helpers.js';

const CREATE_GROUP = 'group_open_http_svc/create_group';
const MODIFY_GROUP = 'group_open_http_svc/modify_group_base_info';

async function wired(
  respond: Responder = answerOk,
  options: EmulatorOptions = {},
): Promise<{ emulator: Emulator; receiver: TestReceiver }> {
  const receiver = await startReceiver(respond);
  const emulator = await startEmulator({
    callbackUrl: receiver.url,
    callbacks: { createGroup: false },
    ...options,
  });
  return { emulator, receiver };
}

async function newGroup(emulator: Emulator, name = 'Ops'): Promise<string> {
  return (await callRest(emulator, CREATE_GROUP, { Type: 'Public', Name: name })).GroupId as string;
}

function rename(emulator: Emulator, groupId: string, name: string) {
  return callRest(emulator, MODIFY_GROUP, { GroupId: groupId, Name: name });
}

/** A responder that never answers: the emulator must time out. */
const neverAnswer: Responder = () => {};

describe('delivery', () => {
  it('reuses one kept-alive connection for callbacks sent one after another', async () => {
    const { emulator, receiver } = await wired();
    const groupId = await newGroup(emulator);
    for (const name of ['a', 'b', 'c', 'd']) await rename(emulator, groupId, name);
    const received = await receiver.waitFor(4);
    expect(received.map((c) => c.connection)).toEqual([1, 1, 1, 1]);
  });

  it('gives up after 2 seconds without an answer, and does not retry by default', async () => {
    const { emulator, receiver } = await wired(neverAnswer);
    await rename(emulator, await newGroup(emulator), 'slow');
    await emulator.idle();
    const attempts = emulator.deliveries();
    expect(receiver.received).toHaveLength(1);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({
      attempt: 1,
      outcome: 'timeout',
      status: null,
      error: 'no answer within 2000 ms',
    });
    expect(attempts[0]!.latencyMs).toBeGreaterThanOrEqual(1990);
    expect(attempts[0]!.latencyMs).toBeLessThan(3000);
  });

  it('re-sends the same body after a timeout as many times as retryOnTimeout says, signed afresh', async () => {
    const { emulator, receiver } = await wired(neverAnswer, {
      timeoutMs: 50,
      retryOnTimeout: 2,
      retryIntervalMs: 0,
      callbackToken: 'tok',
    });
    await rename(emulator, await newGroup(emulator), 'slow');
    await emulator.idle();
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((c) => c.rawBody)).size).toBe(1);
    for (const callback of receiver.received) expect(callback.query.get('Sign')).toMatch(/^[0-9a-f]{64}$/);
    const attempts = emulator.deliveries();
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [3, 'timeout'],
      [2, 'timeout'],
      [1, 'timeout'],
    ]);
    expect(new Set(attempts.map((a) => a.callbackId)).size).toBe(1);
  });

  it('does not retry an answer that is FAIL, an HTTP error or not JSON, even with retryOnTimeout', async () => {
    const answers: Array<(res: ServerResponse) => void> = [
      (res) => res.writeHead(200).end('{"ActionStatus":"FAIL","ErrorInfo":"no","ErrorCode":1}'),
      (res) => res.writeHead(500).end('oops'),
      (res) => res.writeHead(200).end('<html>'),
    ];
    const { emulator, receiver } = await wired(
      (_callback, res) => answers[receiver.received.length - 1]!(res),
      {
        retryOnTimeout: 3,
      },
    );
    const groupId = await newGroup(emulator);
    for (const name of ['a', 'b', 'c']) await rename(emulator, groupId, name);
    await emulator.idle();
    expect(receiver.received).toHaveLength(3);
    expect(
      emulator
        .deliveries()
        .reverse()
        .map((a) => [a.outcome, a.status, a.actionStatus, a.answer]),
    ).toEqual([
      ['fail', 200, 'FAIL', { ActionStatus: 'FAIL', ErrorInfo: 'no', ErrorCode: 1 }],
      ['http-error', 500, null, 'oops'],
      ['bad-answer', 200, null, '<html>'],
    ]);
  });

  it('records a refused connection as an error, and goes on with the next callback', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const emulator = await startEmulator({ callbackUrl: `http://127.0.0.1:${port}/cb`, retryOnTimeout: 2 });
    const groupId = await newGroup(emulator);
    await rename(emulator, groupId, 'x');
    await emulator.idle();
    const [attempt] = emulator.deliveries({ command: 'Group.CallbackAfterGroupInfoChanged' });
    expect(attempt).toMatchObject({
      outcome: 'error',
      status: null,
      attempt: 1,
      error: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('keeps per-group order: a group’s next callback waits for the answer to its previous one, other groups do not', async () => {
    const held: Array<{ callback: ReceivedCallback; res: ServerResponse }> = [];
    const { emulator, receiver } = await wired((callback, res) => {
      if (callback.body.Name === 'A1') held.push({ callback, res });
      else answerOk(callback, res);
    });
    const groupA = await newGroup(emulator, 'A');
    const groupB = await newGroup(emulator, 'B');
    await rename(emulator, groupA, 'A1');
    await rename(emulator, groupA, 'A2');
    await rename(emulator, groupB, 'B1');
    const firstTwo = await receiver.waitFor(2);
    expect(new Set(firstTwo.map((c) => c.body.Name))).toEqual(new Set(['A1', 'B1']));
    expect(held).toHaveLength(1);
    answerOk(held[0]!.callback, held[0]!.res);
    const all = await receiver.waitFor(3);
    expect(all[2]!.body.Name).toBe('A2');
    await emulator.idle();
  });

  it('delivers many changes of one group in the order they were made', async () => {
    const { emulator, receiver } = await wired();
    const groupId = await newGroup(emulator);
    const names = Array.from({ length: 40 }, (_, i) => `n${i}`);
    // The calls do not wait for delivery, so later callbacks queue behind earlier ones in flight.
    for (const name of names) await rename(emulator, groupId, name);
    const received = await receiver.waitFor(40);
    expect(received.map((c) => c.body.Name)).toEqual(names);
    await emulator.idle();
    expect(emulator.deliveries({ limit: 1 })[0]!.body.Name).toBe('n39');
  });

  it('stops cleanly with callbacks still in flight', async () => {
    const { emulator } = await wired(neverAnswer);
    await rename(emulator, await newGroup(emulator), 'x');
    expect(emulator.deliveries()).toEqual([]);
    await emulator.stop();
    await emulator.idle();
  });
});

describe('the delivery log', () => {
  it('lists each attempt newest first, with the URL minus Sign, status, latency, answer and ActionStatus', async () => {
    const { emulator, receiver } = await wired(answerOk, { callbackToken: 'secret-token' });
    const groupId = await newGroup(emulator);
    await rename(emulator, groupId, 'first');
    await rename(emulator, groupId, 'second');
    await emulator.idle();
    const { status, json } = await postJson(`${emulator.url}/emulator/deliveries`, null, 'GET');
    expect(status).toBe(200);
    const deliveries = json.deliveries as DeliveryRecord[];
    expect(deliveries.map((d) => d.body.Name)).toEqual(['second', 'first']);
    const [latest] = deliveries;
    expect(latest).toMatchObject({
      attempt: 1,
      command: 'Group.CallbackAfterGroupInfoChanged',
      groupId,
      status: 200,
      outcome: 'ok',
      actionStatus: 'OK',
      answer: { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 },
      error: null,
    });
    expect(latest!.latencyMs).toEqual(expect.any(Number));
    expect(Date.parse(latest!.startedAt)).not.toBeNaN();
    const url = new URL(latest!.url);
    expect(url.searchParams.has('Sign')).toBe(false);
    expect(url.searchParams.get('RequestTime')).toMatch(/^\d+$/);
    expect(JSON.stringify(json)).not.toContain('secret-token');
    expect(JSON.stringify(json)).not.toContain(receiver.received[0]!.query.get('Sign'));
  });

  it('filters by command, group and limit, and empties on DELETE', async () => {
    const { emulator } = await wired(answerOk, { callbacks: { createGroup: true } });
    const a = await newGroup(emulator, 'A');
    await newGroup(emulator, 'B');
    await rename(emulator, a, 'A2');
    await emulator.idle();
    const get = async (query: string) =>
      (await postJson(`${emulator.url}/emulator/deliveries${query}`, null, 'GET')).json
        .deliveries as DeliveryRecord[];
    expect(await get('')).toHaveLength(3);
    expect(await get('?limit=1')).toHaveLength(1);
    expect((await get(`?groupId=${encodeURIComponent(a)}`)).map((d) => d.command)).toEqual([
      'Group.CallbackAfterGroupInfoChanged',
      'Group.CallbackAfterCreateGroup',
    ]);
    expect(await get('?command=Group.CallbackAfterCreateGroup')).toHaveLength(2);
    expect((await postJson(`${emulator.url}/emulator/deliveries?limit=0`, null, 'GET')).status).toBe(400);
    const response = await fetch(`${emulator.url}/emulator/deliveries`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect(await get('')).toEqual([]);
  });

  it('tells a listener of every attempt as it happens', async () => {
    const { emulator } = await wired();
    const seen: DeliveryRecord[] = [];
    const unsubscribe = emulator.onDelivery((record) => seen.push(record));
    onCleanup(async () => unsubscribe());
    await rename(emulator, await newGroup(emulator), 'x');
    await emulator.idle();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.outcome).toBe('ok');
  });
});
