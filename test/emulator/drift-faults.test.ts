import { describe, expect, it } from 'vitest';
import { type Emulator, type EmulatorOptions, ErrorCodes } from '../../src/emulator/index.js';
import { createSeededRandom } from '../../src/emulator/seeded-random.js';
import { callRest, failure, startEmulator, startReceiver, type TestReceiver } from './helpers.js';

const CREATE = 'group_open_http_svc/create_group';
const INFO = 'group_open_http_svc/get_group_info';
const MODIFY = 'group_open_http_svc/modify_group_base_info';
const CREATE_TOPIC = 'million_group_open_http_svc/create_topic';
const GET_TOPIC = 'million_group_open_http_svc/get_topic';
const INFO_CHANGED = 'Group.CallbackAfterGroupInfoChanged';

async function setUp(options: EmulatorOptions = {}) {
  const receiver = await startReceiver();
  const emulator = await startEmulator({
    callbackUrl: receiver.url,
    callbacks: { createGroup: false, createTopic: false },
    ...options,
  });
  const { GroupId } = await callRest(emulator, CREATE, { Type: 'Public', Name: 'start' });
  return { receiver, emulator, groupId: GroupId as string };
}

/** Renames the group `count` times (`n0`, `n1`, …) and waits until every callback is settled. */
async function rename(emulator: Emulator, groupId: string, count: number, prefix = 'n'): Promise<void> {
  for (let i = 0; i < count; i++) {
    expect((await callRest(emulator, MODIFY, { GroupId: groupId, Name: `${prefix}${i}` })).ActionStatus).toBe(
      'OK',
    );
  }
  await emulator.idle();
}

function droppedNames(emulator: Emulator): string[] {
  return emulator
    .deliveries({ limit: 10_000, command: INFO_CHANGED })
    .filter((record) => record.outcome === 'dropped')
    .map((record) => record.body.Name as string)
    .reverse();
}

function receivedNames(receiver: TestReceiver): string[] {
  return receiver.received.map((callback) => callback.body.Name as string);
}

describe('dropCallbacks', () => {
  it('loses about the fraction asked, logs each loss as dropped, and never sends it', async () => {
    const { receiver, emulator, groupId } = await setUp({ dropCallbacks: 0.2, seed: 42 });
    await rename(emulator, groupId, 200);
    const dropped = droppedNames(emulator);
    expect(dropped.length).toBeGreaterThan(20);
    expect(dropped.length).toBeLessThan(60);
    expect(receiver.received).toHaveLength(200 - dropped.length);
    const sent = new Set(receivedNames(receiver));
    expect(dropped.filter((name) => sent.has(name))).toEqual([]);
    const [record] = emulator.deliveries({ limit: 10_000 }).filter((r) => r.outcome === 'dropped');
    expect(record).toMatchObject({
      outcome: 'dropped',
      status: null,
      actionStatus: null,
      attempt: 1,
      error: expect.stringContaining('dropCallbacks'),
      command: INFO_CHANGED,
      groupId,
    });
  });

  it('loses the same callbacks for the same seed and calls, other ones for another seed', async () => {
    const runs: string[][] = [];
    for (const seed of [7, 7, 8]) {
      const { emulator, groupId } = await setUp({ dropCallbacks: 0.3, seed });
      await rename(emulator, groupId, 60);
      runs.push(droppedNames(emulator));
    }
    expect(runs[0]!.length).toBeGreaterThan(0);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).not.toEqual(runs[0]);
  });

  it('loses nothing at 0 and everything at 1', async () => {
    const none = await setUp({ dropCallbacks: 0, seed: 1 });
    await rename(none.emulator, none.groupId, 10);
    expect(none.receiver.received).toHaveLength(10);
    const all = await setUp({ dropCallbacks: 1, seed: 1 });
    await rename(all.emulator, all.groupId, 10);
    expect(all.receiver.received).toHaveLength(0);
    expect(droppedNames(all.emulator)).toHaveLength(10);
  });

  it('is set while running like the other settings, and a new seed replays its losses from the start', async () => {
    const { receiver, emulator, groupId } = await setUp();
    const put = await fetch(`${emulator.url}/emulator/config`, {
      method: 'PUT',
      body: JSON.stringify({ dropCallbacks: 0.5, seed: 99 }),
    });
    expect(await put.json()).toMatchObject({ dropCallbacks: 0.5, seed: 99 });
    await rename(emulator, groupId, 30, 'a');
    const first = droppedNames(emulator).map((name) => name.slice(1));
    emulator.configure({ seed: 99 });
    await rename(emulator, groupId, 30, 'b');
    const second = droppedNames(emulator)
      .filter((name) => name.startsWith('b'))
      .map((name) => name.slice(1));
    expect(first.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
    emulator.configure({ dropCallbacks: 0 });
    const before = receiver.received.length;
    await rename(emulator, groupId, 5, 'c');
    expect(receiver.received.length - before).toBe(5);
  });

  it('lists the losses with ?outcome=dropped and counts them all, past what the log keeps', async () => {
    const { emulator, groupId } = await setUp({ dropCallbacks: 0.5, seed: 5, deliveryLogSize: 4 });
    await rename(emulator, groupId, 40);
    const response = await fetch(`${emulator.url}/emulator/deliveries?outcome=dropped`);
    const json = (await response.json()) as { deliveries: Array<{ outcome: string }>; dropped: number };
    expect(json.deliveries.length).toBeGreaterThan(0);
    expect(json.deliveries.length).toBeLessThanOrEqual(4);
    expect(json.deliveries.every((record) => record.outcome === 'dropped')).toBe(true);
    expect(json.dropped).toBeGreaterThan(4);
    const all = await setUp({ dropCallbacks: 0.5, seed: 5 });
    await rename(all.emulator, all.groupId, 40);
    expect(droppedNames(all.emulator)).toHaveLength(json.dropped);
    const bad = await fetch(`${emulator.url}/emulator/deliveries?outcome=lost`);
    expect(bad.status).toBe(400);
  });

  it('refuses a fraction outside 0 to 1 and a seed that is not a 32-bit whole number', async () => {
    const emulator = await startEmulator();
    for (const body of [{ dropCallbacks: 1.5 }, { dropCallbacks: -0.1 }, { seed: 1.5 }, { seed: -1 }]) {
      const put = await fetch(`${emulator.url}/emulator/config`, {
        method: 'PUT',
        body: JSON.stringify(body),
      });
      expect(put.status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('silent changes', () => {
  it('changes a group profile through /emulator/silent with no callback, and get_group_info shows the truth', async () => {
    const { receiver, emulator, groupId } = await setUp({ customFieldKeys: ['Level'] });
    const answer = await emulator.silent('modify_group_base_info', {
      GroupId: groupId,
      Name: 'quiet',
      AppDefinedData: [{ Key: 'Level', Value: 'gold' }],
    });
    expect(answer).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0 });
    // A loud change afterwards: once its callback is in, the silent one would have come first.
    await callRest(emulator, MODIFY, { GroupId: groupId, Notification: 'loud' });
    await receiver.waitFor(1);
    await emulator.idle();
    expect(receiver.received.map((callback) => callback.body)).toEqual([
      expect.objectContaining({ Notification: 'loud' }),
    ]);
    expect(receiver.received[0]!.body).not.toHaveProperty('Name');
    const info = (await callRest(emulator, INFO, { GroupIdList: [groupId] })).GroupInfo as Array<
      Record<string, unknown>
    >;
    expect(info[0]).toMatchObject({
      Name: 'quiet',
      Notification: 'loud',
      AppDefinedData: [{ Key: 'Level', Value: 'gold' }],
    });
    expect(emulator.deliveries({ command: INFO_CHANGED })).toHaveLength(1);
  });

  it('changes a topic profile silently too', async () => {
    const { receiver, emulator } = await setUp();
    const { GroupId } = await callRest(emulator, CREATE, { Type: 'Community', Name: 'c', SupportTopic: 1 });
    const { TopicId } = await callRest(emulator, CREATE_TOPIC, { GroupId, TopicName: 'news' });
    expect(await emulator.silent('modify_topic', { GroupId, TopicId, TopicName: 'hush' })).toMatchObject({
      ActionStatus: 'OK',
    });
    await emulator.idle();
    expect(receiver.received).toHaveLength(0);
    const topics = (await callRest(emulator, GET_TOPIC, { GroupId })).TopicAndSelfInfo as Array<{
      TopicInfo: Record<string, unknown>;
    }>;
    expect(topics[0]!.TopicInfo).toMatchObject({ TopicId, TopicName: 'hush' });
  });

  it('answers the silent face in the Chat envelope: 10003 for another command, the usual codes otherwise', async () => {
    const { emulator, groupId } = await setUp();
    expect(await emulator.silent('destroy_group', { GroupId: groupId })).toEqual(
      failure(ErrorCodes.InvalidCommand),
    );
    expect(await emulator.silent('modify_group_base_info', { GroupId: '@TGS#nope', Name: 'x' })).toEqual(
      failure(ErrorCodes.GroupNotFound),
    );
    expect(
      await emulator.silent('modify_group_base_info', { GroupId: groupId, Name: 'x'.repeat(31) }),
    ).toEqual(failure(ErrorCodes.InvalidParameter));
  });

  it('with silentChanges on, no profile change fires a callback while the other callbacks still go', async () => {
    const { receiver, emulator, groupId } = await setUp({
      silentChanges: true,
      callbacks: { createGroup: true },
    });
    await rename(emulator, groupId, 3);
    await callRest(emulator, CREATE, { Type: 'Public', Name: 'second' });
    await receiver.waitFor(2);
    await emulator.idle();
    expect(receiver.received.map((callback) => callback.body.CallbackCommand)).toEqual([
      'Group.CallbackAfterCreateGroup',
      'Group.CallbackAfterCreateGroup',
    ]);
    emulator.configure({ silentChanges: false });
    await rename(emulator, groupId, 1, 'loud');
    expect(receiver.received.map((callback) => callback.body.Name)).toEqual(['start', 'second', 'loud0']);
  });
});

describe('createSeededRandom', () => {
  it('gives the same stream for the same seed, numbers in [0, 1), and restarts on reseed', () => {
    const a = createSeededRandom(123);
    const b = createSeededRandom(123);
    const first = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = first.reduce((sum, x) => sum + x, 0) / first.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    a.reseed(123);
    expect(a.next()).toBe(first[0]);
    expect(a.seed).toBe(123);
  });
});
