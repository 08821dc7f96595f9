import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type RestCallEvent, RestCodes, RestError } from '../../src/rest/index.js';
import { fail, type FakeAnswer, ok, restClientFor, SECRET_KEY, startFakeRest } from './helpers.js';

const GET_INFO = 'group_open_http_svc/get_group_info';

function groupEntry(id: string): Record<string, unknown> {
  return { GroupId: id, ErrorCode: 0, ErrorInfo: '', Type: 'Public', Name: id };
}

/** Answers the scripted answers in turn, then OK with one group. */
function script(...answers: FakeAnswer[]) {
  return (_request: unknown, index: number): FakeAnswer =>
    answers[index] ?? ok({ GroupInfo: [groupEntry('@TGS#A')] });
}

async function rejectionOf(promise: Promise<unknown>): Promise<RestError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RestError) return error;
    throw error;
  }
  throw new Error('the promise resolved');
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('retries', () => {
  it('retries the busy and internal-error codes, then returns the answer that succeeded', async () => {
    const fake = await startFakeRest(script(fail(10002, 'internal error'), fail(60008, 'timeout')));
    const events: RestCallEvent[] = [];
    const client = restClientFor(fake.url, { onCall: (event) => events.push(event) });
    const [group] = await client.getGroupInfo(['@TGS#A']);
    expect(group).toMatchObject({ groupId: '@TGS#A', found: true });
    expect(fake.requests).toHaveLength(3);
    expect(events.map((event) => [event.outcome, event.attempt, event.willRetry])).toEqual([
      ['busy', 1, true],
      ['busy', 2, true],
      ['ok', 3, false],
    ]);
    expect(client.metrics().calls).toEqual({ [GET_INFO]: { busy: 2, ok: 1 } });
  });

  it('waits for the API’s window after an over-limit answer (60007), then retries', async () => {
    const fake = await startFakeRest(script(fail(60007, 'over the limit')));
    const client = restClientFor(fake.url);
    await client.getGroupInfo(['@TGS#A']);
    expect(fake.requests).toHaveLength(2);
    expect(client.metrics().calls[GET_INFO]).toEqual({ 'over-limit': 1, ok: 1 });
    // The retry waited for the rate limiter, held for at least the one-second window.
    expect(client.metrics().rateLimitWaits[GET_INFO]).toEqual({ count: 1, totalMs: expect.any(Number) });
    expect(client.metrics().rateLimitWaits[GET_INFO]!.totalMs).toBeGreaterThanOrEqual(900);
  });

  it('gives up after the last attempt with the last busy code in a RestError', async () => {
    const fake = await startFakeRest(() => fail(10002, 'internal error'));
    const client = restClientFor(fake.url, { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    const error = await rejectionOf(client.getGroupInfo(['@TGS#A']));
    expect(error).toMatchObject({ kind: 'chat', errorCode: 10002, errorInfo: 'internal error', attempts: 3 });
    expect(error.message).toMatch(/after 3 attempts/);
    expect(fake.requests).toHaveLength(3);
  });

  it('retries a timeout, and reports kind "timeout" when every attempt times out', async () => {
    const fake = await startFakeRest(() => ({ fault: 'hang' }));
    const client = restClientFor(fake.url, { timeoutMs: 150, retry: { maxAttempts: 2, baseDelayMs: 1 } });
    const error = await rejectionOf(client.getGroupInfo(['@TGS#A']));
    expect(error).toMatchObject({ kind: 'timeout', attempts: 2, fatal: false });
    expect(error.message).toBe(
      `group_open_http_svc/get_group_info: could not reach ${fake.url} (no answer within 150 ms) after 2 attempts`,
    );
    expect(fake.requests).toHaveLength(2);
    expect(client.metrics().calls[GET_INFO]).toEqual({ timeout: 2 });
  });

  it('retries a hang that ends, and succeeds', async () => {
    const fake = await startFakeRest(script({ fault: 'hang' }));
    const client = restClientFor(fake.url, { timeoutMs: 150 });
    await client.getGroupInfo(['@TGS#A']);
    expect(client.metrics().calls[GET_INFO]).toEqual({ timeout: 1, ok: 1 });
  });

  it('retries a connection reset by the server, and succeeds', async () => {
    const fake = await startFakeRest(script({ fault: 'destroy' }));
    const client = restClientFor(fake.url);
    await client.getGroupInfo(['@TGS#A']);
    expect(client.metrics().calls[GET_INFO]).toEqual({ network: 1, ok: 1 });
  });

  it('reports kind "network" with the cause when the connection is refused every time', async () => {
    const port = await closedPort();
    const client = restClientFor(`http://127.0.0.1:${port}`, { retry: { maxAttempts: 3, baseDelayMs: 1 } });
    const error = await rejectionOf(client.getGroupInfo(['@TGS#A']));
    expect(error).toMatchObject({ kind: 'network', attempts: 3, errorCode: 0 });
    expect(error.message).toBe(
      `group_open_http_svc/get_group_info: could not reach http://127.0.0.1:${port} ` +
        '(the connection failed: ECONNREFUSED) after 3 attempts',
    );
    expect(error.cause).toBeDefined();
  });

  it('retries HTTP 5xx and 429 from a proxy, but not another status', async () => {
    const fake = await startFakeRest(
      script({ fault: 'status', status: 502 }, { fault: 'status', status: 429 }),
    );
    const client = restClientFor(fake.url);
    await client.getGroupInfo(['@TGS#A']);
    expect(client.metrics().calls[GET_INFO]).toEqual({ answer: 2, ok: 1 });

    const notFound = await startFakeRest(() => ({ fault: 'status', status: 404, text: 'no such path' }));
    const other = restClientFor(notFound.url);
    const error = await rejectionOf(other.getGroupInfo(['@TGS#A']));
    expect(error).toMatchObject({ kind: 'answer', attempts: 1 });
    expect(error.message).toMatch(/HTTP 404/);
  });

  it('does not retry an answer that is not JSON, or not of the documented shape', async () => {
    const fake = await startFakeRest(() => ({ fault: 'text', text: '<html>hi</html>' }));
    const error = await rejectionOf(restClientFor(fake.url).getGroupInfo(['@TGS#A']));
    expect(error).toMatchObject({ kind: 'answer', attempts: 1 });
    expect(error.message).toMatch(/not JSON/);

    const shapeless = await startFakeRest(() => ok({ GroupInfo: 'nope' }));
    const shapeError = await rejectionOf(restClientFor(shapeless.url).getGroupInfo(['@TGS#A']));
    expect(shapeError).toMatchObject({ kind: 'answer' });
    expect(shapeError.message).toMatch(/GroupInfo is not an array/);
  });
});

describe('fatal codes', () => {
  it.each([...RestCodes.fatal.keys()])(
    'stops after one attempt on %i, with a fatal RestError',
    async (code) => {
      const fake = await startFakeRest(() => fail(code, `refused ${code}`));
      const client = restClientFor(fake.url);
      const error = await rejectionOf(client.getGroupInfo(['@TGS#A']));
      expect(error).toMatchObject({
        kind: 'fatal',
        fatal: true,
        errorCode: code,
        errorInfo: `refused ${code}`,
      });
      expect(error.message).toContain(RestCodes.fatal.get(code)!);
      expect(error.message).toMatch(/nothing is retried/);
      expect(fake.requests).toHaveLength(1);
    },
  );

  it('never puts the UserSig or the secret key into an error', async () => {
    const fake = await startFakeRest(() => fail(70009, 'sig check failed'));
    const client = restClientFor(fake.url);
    const error = await rejectionOf(client.getGroupInfo(['@TGS#A']));
    const userSig = fake.requests[0]!.query.get('usersig')!;
    const seen = `${error.message} ${JSON.stringify(error)} ${String(error.stack)}`;
    expect(seen).not.toContain(userSig);
    expect(seen).not.toContain(SECRET_KEY);
  });
});

describe('requests', () => {
  it('sends the documented query, one UserSig reused, a fresh random each call', async () => {
    const fake = await startFakeRest(() => ok({ GroupInfo: [groupEntry('@TGS#A')] }));
    const client = restClientFor(fake.url);
    await client.getGroupInfo(['@TGS#A']);
    await client.getGroupInfo(['@TGS#A']);
    const [first, second] = fake.requests;
    expect(first!.api).toBe(GET_INFO);
    expect([...first!.query.keys()]).toEqual(['sdkappid', 'identifier', 'usersig', 'random', 'contenttype']);
    expect(first!.query.get('sdkappid')).toBe('1400000000');
    expect(first!.query.get('identifier')).toBe('administrator');
    expect(first!.query.get('contenttype')).toBe('json');
    expect(Number(first!.query.get('random'))).toBeLessThan(2 ** 32);
    expect(second!.query.get('usersig')).toBe(first!.query.get('usersig'));
    expect(second!.query.get('random')).not.toBe(first!.query.get('random'));
  });

  it('sends a ResponseFilter only when custom-field keys are given', async () => {
    const fake = await startFakeRest(() => ok({ GroupInfo: [groupEntry('@TGS#A')] }));
    const client = restClientFor(fake.url);
    await client.getGroupInfo(['@TGS#A', '@TGS#B']);
    await client.getGroupInfo(['@TGS#A'], { customFieldKeys: ['Level'] });
    expect(fake.requests[0]!.body).toEqual({ GroupIdList: ['@TGS#A', '@TGS#B'] });
    expect(fake.requests[1]!.body).toEqual({
      GroupIdList: ['@TGS#A'],
      ResponseFilter: {
        GroupBaseInfoFilter: [
          'Type',
          'Name',
          'Introduction',
          'Notification',
          'FaceUrl',
          'Owner_Account',
          'CreateTime',
          'LastInfoTime',
        ],
        AppDefinedDataFilter_Group: ['Level'],
      },
    });
  });

  it('refuses 0 or more than 50 ids in one get_group_info call', () => {
    const client = restClientFor('http://127.0.0.1:9');
    const ids = Array.from({ length: 51 }, (_, i) => `@TGS#G${i}`);
    expect(() => client.getGroupInfo(ids)).toThrow(/1 to 50 group ids/);
    expect(() => client.getGroupInfo([])).toThrow(/1 to 50 group ids/);
  });

  it('sends get_topic with GroupId, and TopicIdList and From_Account only when given', async () => {
    const fake = await startFakeRest(() => ok({ TopicAndSelfInfo: [] }));
    const client = restClientFor(fake.url);
    expect(await client.getTopic('@TGS#_C')).toEqual([]);
    await client.getTopic('@TGS#_C', { topicIds: ['@TGS#_C@TOPIC#_x'], fromAccount: 'admin' });
    expect(fake.requests.map((request) => request.body)).toEqual([
      { GroupId: '@TGS#_C' },
      { GroupId: '@TGS#_C', From_Account: 'admin', TopicIdList: ['@TGS#_C@TOPIC#_x'] },
    ]);
  });

  it('keeps a metrics hook’s exception out of the call', async () => {
    const fake = await startFakeRest(() => ok({ GroupInfo: [groupEntry('@TGS#A')] }));
    const client = restClientFor(fake.url, {
      onCall: () => {
        throw new Error('hook failed');
      },
    });
    await expect(client.getGroupInfo(['@TGS#A'])).resolves.toHaveLength(1);
  });

  it('ends a call waiting to retry when the client is closed', async () => {
    const fake = await startFakeRest(() => fail(10002));
    const client = restClientFor(fake.url, {
      retry: { baseDelayMs: 60_000, maxDelayMs: 60_000 },
      random: () => 0.99,
    });
    const pending = rejectionOf(client.getGroupInfo(['@TGS#A']));
    while (fake.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await client.close();
    const error = await pending;
    expect(error.message).toMatch(/closed/);
  });
});
