import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  backoffDelay,
  compileTemplate,
  createRelay,
  type DeliveryOutcome,
  escapeToken,
  parseRetryAfter,
  type Relay,
  type RelayMessage,
  type Sink,
} from '../../src/relay/index.js';
import {
  type ChangeLog,
  openSqliteChangeLog,
  openSqliteRelayState,
  type RecordedEvent,
  type RelayState,
} from '../../src/store/index.js';
import { POLL } from '../server/support.js';
import { groupChanged, topicChanged } from '../store/entries.js';
import { declareSinks, FAST_RETRY } from './support.js';

const TIMING = { pollMs: 20, checkpointMs: 10, leaseTtlMs: 5_000 };

/** A sink in memory: `behave` decides each attempt; `sent` keeps every seq handed to it. */
function fakeSink(behave: (message: RelayMessage, attempt: number) => DeliveryOutcome = () => null) {
  const sent: number[] = [];
  const delivered: RelayMessage[] = [];
  const attempts = new Map<number, number>();
  const sink: Sink = {
    name: 'fake',
    type: 'fake',
    async deliver(messages) {
      return messages.map((message) => {
        sent.push(message.seq);
        const attempt = (attempts.get(message.seq) ?? 0) + 1;
        attempts.set(message.seq, attempt);
        const outcome = behave(message, attempt);
        if (outcome === null) delivered.push(message);
        return outcome;
      });
    },
    async close() {},
  };
  return { sink, sent, delivered, attempts };
}

let log: ChangeLog;
let state: RelayState;
const relays: Relay[] = [];

beforeEach(async () => {
  log = openSqliteChangeLog({ path: ':memory:' });
  state = openSqliteRelayState({ path: ':memory:' });
});

afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.stop();
  await state.close();
  await log.close();
});

function startRelay(
  sink: Sink,
  settings: Record<string, unknown> = {},
  owner = 'test-owner',
  busy?: () => boolean,
): Relay {
  const relay = createRelay({
    ...(busy ? { busy } : {}),
    sinks: declareSinks([
      { name: 'fake', type: 'redis', url: 'redis://127.0.0.1:1', retry: FAST_RETRY, ...settings },
    ]),
    log,
    state,
    owner,
    timing: TIMING,
    createSink: () => sink,
  });
  relays.push(relay);
  relay.start();
  return relay;
}

let appended = 0;
/** Logs `count` distinct group changes (a body seen before would be a duplicate, not logged). */
async function append(count: number, groupOf = (n: number) => `@TGS#G${n % 3}`): Promise<RecordedEvent[]> {
  const entries = await Promise.all(
    Array.from({ length: count }, (_, n) => groupChanged(groupOf(n), { Name: `n${appended++}` })),
  );
  const results = await log.append(entries);
  return results.map((result) => (result.duplicate ? null : result.event)).filter((e) => e !== null);
}

describe('the delivery loop', () => {
  it('delivers in log order, batch after batch, and moves its cursor past what its filter skips', async () => {
    const fake = fakeSink();
    await append(7);
    await log.append([await topicChanged('@TGS#_@TGS#C', '@TGS#_@TGS#C@TOPIC#_@TOPIC#T', { Name: 't' })]);
    const relay = startRelay(fake.sink, { batchSize: 3, filter: { kinds: ['group'] } });
    await vi.waitFor(
      async () => expect((await relay.status())[0]).toMatchObject({ cursor: 8, lagEvents: 0 }),
      POLL,
    );
    expect(fake.sent).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(fake.delivered.map((m) => m.id)).toEqual([1, 2, 3, 4, 5, 6, 7].map((seq) => `1400000000:${seq}`));

    await append(2); // woken by the next events: the recorder calls wake() after each commit
    relay.wake();
    await vi.waitFor(() => expect(fake.sent).toEqual([1, 2, 3, 4, 5, 6, 7, 9, 10]), POLL);
  });

  it('starts a new sink at the end of the log when it says from "end", and at the beginning by default', async () => {
    const fake = fakeSink();
    await append(3);
    const relay = startRelay(fake.sink, { from: 'end' });
    await vi.waitFor(
      async () => expect((await relay.status())[0]).toMatchObject({ phase: 'idle', cursor: 3 }),
      POLL,
    );
    await append(1);
    relay.wake();
    await vi.waitFor(() => expect(fake.sent).toEqual([4]), POLL);
  });

  it('holds back while the callback endpoint is busy, at most maxYieldMs a batch', async () => {
    const fake = fakeSink();
    await append(2);
    let busy = true;
    const started = Date.now();
    const deliveredAt: number[] = [];
    const timed: Sink = {
      ...fake.sink,
      async deliver(messages, signal) {
        deliveredAt.push(Date.now());
        return fake.sink.deliver(messages, signal);
      },
    };
    startRelay(timed, {}, 'test-owner', () => busy);
    await vi.waitFor(() => expect(fake.sent).toEqual([1, 2]), POLL);
    // Busy all along: it waited its longest (500 ms by default), then went anyway.
    expect(deliveredAt[0]! - started).toBeGreaterThanOrEqual(450);
    busy = false;
  });

  it('retries a failing event, then dead-letters it after the limit and moves on', async () => {
    const fake = fakeSink((message) => (message.seq === 2 ? { kind: 'failed', message: 'HTTP 500' } : null));
    await append(4, () => '@TGS#ONE');
    const relay = startRelay(fake.sink);
    await vi.waitFor(
      async () => expect((await relay.status())[0]).toMatchObject({ cursor: 4, deadLetters: 1 }),
      POLL,
    );
    // One group: 3 and 4 wait behind 2 (order) until 2 is given up on.
    expect(fake.attempts.get(2)).toBe(FAST_RETRY.maxAttempts);
    expect(fake.delivered.map((m) => m.seq)).toEqual([1, 3, 4]);
    const [letter] = await relay.deadLetters('fake', { limit: 10 });
    expect(letter).toMatchObject({
      seq: 2,
      attempts: FAST_RETRY.maxAttempts,
      error: 'HTTP 500',
      redrive: false,
    });
  });

  it('never dead-letters while the sink is unreachable, and delivers from where it stopped once it is back', async () => {
    let down = true;
    const fake = fakeSink(() => (down ? { kind: 'unreachable', message: 'connect ECONNREFUSED' } : null));
    await append(5);
    const relay = startRelay(fake.sink);
    await vi.waitFor(
      () => expect(fake.sent.length).toBeGreaterThanOrEqual(5 * (FAST_RETRY.maxAttempts + 2)),
      POLL,
    );
    const status = (await relay.status())[0]!;
    expect(status).toMatchObject({
      phase: 'unreachable',
      cursor: 0,
      deadLetters: 0,
      lastError: 'connect ECONNREFUSED',
    });
    down = false;
    await vi.waitFor(
      async () => expect((await relay.status())[0]).toMatchObject({ cursor: 5, phase: 'idle' }),
      POLL,
    );
    expect(fake.delivered.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('takes in a replay written by another process (the CLI on the database file) while it runs', async () => {
    const fake = fakeSink();
    await append(5);
    const relay = startRelay(fake.sink);
    await vi.waitFor(async () => expect((await relay.status())[0]!.cursor).toBe(5), POLL);
    await state.setCursor('fake', 2); // what `timhook relay replay --from 3` does; no wake-up call
    await vi.waitFor(() => expect(fake.sent).toEqual([1, 2, 3, 4, 5, 3, 4, 5]), POLL);
  });

  it('lets one instance at a time deliver a sink, and another take over when the holder stops', async () => {
    const first = fakeSink();
    const second = fakeSink();
    await append(3);
    const a = startRelay(first.sink, {}, 'host-a:1:a');
    await vi.waitFor(() => expect(first.sent).toEqual([1, 2, 3]), POLL);
    const b = startRelay(second.sink, {}, 'host-b:1:b');
    await vi.waitFor(async () => expect((await b.status())[0]!.phase).toBe('standby'), POLL);
    await append(2);
    a.wake();
    b.wake();
    await vi.waitFor(() => expect(first.sent).toEqual([1, 2, 3, 4, 5]), POLL);
    expect(second.sent).toEqual([]);

    await a.stop(); // releases the lease
    await append(1);
    await vi.waitFor(() => expect(second.sent).toEqual([6]), POLL);
  });

  it('takes over a sink whose holder died without releasing it, once the lease expires', async () => {
    const fake = fakeSink();
    await append(2);
    await state.ensureSink('fake', 0);
    await state.acquireLease('fake', 'vanished-host:1:x', 300);
    const relay = startRelay(fake.sink, {}, 'host-b:1:b');
    await vi.waitFor(async () => expect((await relay.status())[0]!.phase).toBe('standby'), POLL);
    await vi.waitFor(() => expect(fake.sent).toEqual([1, 2]), POLL);
  });
});

describe('backoff and templates', () => {
  it('doubles the delay from the first one up to the cap, half of it random', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1_000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, options, () => 1))).toEqual([
      100, 200, 400, 800, 1_000,
    ]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, options, () => 0))).toEqual([50, 100, 200, 400, 500]);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3_000);
    expect(
      parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')),
    ).toBe(5_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it('keeps a group id one subject token: dots, wildcards and spaces are percent-encoded, @ and # kept', () => {
    const subject = compileTemplate('timhook.{kind}.{groupId}.{topicId}', escapeToken);
    const event = { kind: 'group', groupId: 'my.group *>%', topicId: null } as unknown as RecordedEvent;
    expect(subject(event)).toBe('timhook.group.my%2Egroup%20%2A%3E%25._');
    expect(subject({ ...event, groupId: '@TGS#2J4SZEAEL' })).toBe('timhook.group.@TGS#2J4SZEAEL._');
  });
});
