import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../../src/relay/backoff.js';
import {
  createRelay,
  type DeliveryOutcome,
  type Relay,
  type RelayMessage,
  type RelayTiming,
  type Sink,
} from '../../src/relay/index.js';
import { compileTemplate, escapeToken } from '../../src/relay/template.js';
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
const COMMAND = 'Group.CallbackAfterGroupInfoChanged';

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
  timing: RelayTiming = {},
): Relay {
  const relay = createRelay({
    ...(busy ? { busy } : {}),
    sinks: declareSinks([
      { name: 'fake', type: 'redis', url: 'redis://127.0.0.1:1', retry: FAST_RETRY, ...settings },
    ]),
    log,
    state,
    owner,
    timing: { ...TIMING, ...timing },
    createSink: () => sink,
  });
  relays.push(relay);
  relay.start();
  return relay;
}

/** A relay of one sink in batches of one, on the test's clock, held back while `busy`. */
function createClockedRelay(
  sink: Sink,
  now: () => number,
  busy: () => boolean,
  timing: RelayTiming = {},
): Relay {
  const relay = createRelay({
    sinks: declareSinks([
      { name: 'fake', type: 'redis', url: 'redis://127.0.0.1:1', retry: FAST_RETRY, batchSize: 1 },
    ]),
    log,
    state,
    owner: 'test-owner',
    timing: { ...TIMING, ...timing },
    createSink: () => sink,
    busy,
    now,
  });
  relays.push(relay);
  relay.start();
  return relay;
}

/** Waits until `count()` has grown by `more`: the loop asked that many more times whether it is busy. */
async function waitForPolls(count: () => number, more: number): Promise<void> {
  const from = count();
  await vi.waitFor(() => expect(count()).toBeGreaterThanOrEqual(from + more), POLL);
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

  it('sends each event as the log rendered it, with the id of the app it is given', async () => {
    const fake = fakeSink();
    const [event] = await append(1);
    const relay = createRelay({
      sinks: declareSinks([{ name: 'fake', type: 'redis', url: 'redis://127.0.0.1:1' }]),
      log,
      state,
      sdkAppId: 1400000001,
      timing: TIMING,
      createSink: () => fake.sink,
    });
    relays.push(relay);
    relay.start();
    await vi.waitFor(() => expect(fake.delivered).toHaveLength(1), POLL);
    const [message] = fake.delivered;
    expect(message).toMatchObject({ id: '1400000001:1', seq: 1, sdkAppId: '1400000001' });
    expect(JSON.parse(message!.body)).toEqual(event);
    expect(message!.body).toBe(message!.event.json);
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

  it('holds a backlog back while the callback endpoint is busy: each batch as long as the one before took', async () => {
    let clock = 1_000_000;
    let busy = true;
    let asked = 0;
    const fake = fakeSink();
    // Each delivery takes 100 ms of the test's clock.
    const slow: Sink = {
      ...fake.sink,
      async deliver(messages, signal) {
        clock += 100;
        return fake.sink.deliver(messages, signal);
      },
    };
    await append(4);
    createClockedRelay(
      slow,
      () => clock,
      () => {
        asked++;
        return busy;
      },
    );
    // The first batch goes at once (nothing says a backlog waits yet); then the loop holds back.
    await vi.waitFor(() => expect(fake.sent).toEqual([1]), POLL);
    await waitForPolls(() => asked, 3);
    expect(fake.sent).toEqual([1]);
    clock += 99; // not yet as long as the batch took
    await waitForPolls(() => asked, 3);
    expect(fake.sent).toEqual([1]);
    clock += 1;
    await vi.waitFor(() => expect(fake.sent).toEqual([1, 2]), POLL);
    // Busy no more: the rest goes without waiting (the clock stands still).
    busy = false;
    await vi.waitFor(() => expect(fake.sent).toEqual([1, 2, 3, 4]), POLL);
  });

  it('holds a backlog batch back at most maxYieldMs, however long the one before took', async () => {
    let clock = 1_000_000;
    let asked = 0;
    const fake = fakeSink();
    const slow: Sink = {
      ...fake.sink,
      async deliver(messages, signal) {
        clock += 10_000;
        return fake.sink.deliver(messages, signal);
      },
    };
    await append(2);
    createClockedRelay(
      slow,
      () => clock,
      () => {
        asked++;
        return true;
      },
      { maxYieldMs: 500 },
    );
    await vi.waitFor(() => expect(fake.sent).toEqual([1]), POLL);
    await waitForPolls(() => asked, 3);
    expect(fake.sent).toEqual([1]);
    clock += 500;
    await vi.waitFor(() => expect(fake.sent).toEqual([1, 2]), POLL);
  });

  it('sends new events at once while the callback endpoint is busy: only a backlog waits', async () => {
    const fake = fakeSink();
    const relay = startRelay(fake.sink, {}, 'test-owner', () => true, { maxYieldMs: 60_000 });
    await vi.waitFor(async () => expect((await relay.status())[0]!.phase).toBe('idle'), POLL);
    await append(2);
    relay.wake();
    await vi.waitFor(() => expect(fake.sent).toEqual([1, 2]), POLL);
  });

  it('sends the next batch to a pipelined sink before the current one is acknowledged, and settles them in order', async () => {
    const calls: Array<{ seqs: number[]; ack: () => void }> = [];
    const sink: Sink = {
      name: 'fake',
      type: 'fake',
      pipelined: true,
      deliver(messages) {
        return new Promise((resolve) => {
          calls.push({ seqs: messages.map((m) => m.seq), ack: () => resolve(messages.map(() => null)) });
        });
      },
      async close() {},
    };
    await append(10);
    const relay = startRelay(sink, { batchSize: 2 });
    // Four batches on the wire at once (the current one and three ahead), none acknowledged yet.
    await vi.waitFor(
      () =>
        expect(calls.map((c) => c.seqs)).toEqual([
          [1, 2],
          [3, 4],
          [5, 6],
          [7, 8],
        ]),
      POLL,
    );
    expect((await relay.status())[0]!.cursor).toBe(0);
    calls[1]!.ack(); // acknowledged out of order: settled in order all the same
    calls[0]!.ack();
    await vi.waitFor(() => expect(calls.map((c) => c.seqs).at(-1)).toEqual([9, 10]), POLL);
    for (const call of calls.slice(2)) call.ack();
    await vi.waitFor(
      async () => expect((await relay.status())[0]).toMatchObject({ cursor: 10, delivered: 10 }),
      POLL,
    );
  });

  it('retries what failed in a batch sent ahead, and sends what went through only once', async () => {
    const fake = fakeSink((message, attempt) =>
      (message.seq === 1 || message.seq === 4) && attempt === 1
        ? { kind: 'failed', message: 'HTTP 500' }
        : null,
    );
    const sink: Sink = { ...fake.sink, pipelined: true };
    await append(6);
    const relay = startRelay(sink, { batchSize: 2 });
    await vi.waitFor(
      async () => expect((await relay.status())[0]).toMatchObject({ cursor: 6, deadLetters: 0 }),
      POLL,
    );
    expect([...fake.attempts]).toEqual([
      [1, 2],
      [2, 1],
      [3, 1],
      [4, 2],
      [5, 1],
      [6, 1],
    ]);
    expect(fake.delivered.map((m) => m.seq).sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('never sends a batch ahead of an earlier one, also while the sink fails and heals', async () => {
    const fake = fakeSink((message, attempt) =>
      message.seq % 4 === 1 && attempt === 1 ? { kind: 'unreachable', message: 'ECONNREFUSED' } : null,
    );
    const sink: Sink = { ...fake.sink, pipelined: true };
    const relay = startRelay(sink, { batchSize: 2 });
    for (let n = 0; n < 12; n++) {
      await append(1);
      relay.wake();
    }
    await vi.waitFor(async () => expect((await relay.status())[0]).toMatchObject({ cursor: 12 }), POLL);
    const firstSent = [...new Set(fake.sent)];
    expect(firstSent).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(new Set(fake.delivered.map((m) => m.seq)).size).toBe(12);
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
    const event = { command: COMMAND, kind: 'group', groupId: 'my.group *>%', topicId: null } as const;
    expect(subject({ sdkAppId: '1400000000', event })).toBe('timhook.group.my%2Egroup%20%2A%3E%25._');
    expect(subject({ sdkAppId: '1400000000', event: { ...event, groupId: '@TGS#2J4SZEAEL' } })).toBe(
      'timhook.group.@TGS#2J4SZEAEL._',
    );
  });

  it('fills {sdkAppId} and {command} from the message', () => {
    const key = compileTemplate('{sdkAppId}:{command}:{groupId}');
    const event = { command: COMMAND, kind: 'group', groupId: '@TGS#A', topicId: null } as const;
    expect(key({ sdkAppId: '1400000000', event })).toBe(`1400000000:${COMMAND}:@TGS#A`);
  });
});
