import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { EmulatorOptions } from '../../src/emulator/index.js';
import type { AnyEvent } from '../../src/protocol/index.js';
import { createReceiver, toNodeHandler } from '../../src/receiver/index.js';
import { callRest, onCleanup, startEmulator } from './helpers.js';

/** The project's own receiver on a loopback port, with the token `tok`. */
async function startProjectReceiver(): Promise<{ url: string; events: AnyEvent[] }> {
  const receiver = createReceiver({ sdkAppId: 1400000000, tokens: ['tok'] });
  const events: AnyEvent[] = [];
  receiver.onAny((event) => {
    events.push(event);
  });
  const server = createServer(toNodeHandler(receiver));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`, events };
}

async function driveEverything(options: EmulatorOptions) {
  const target = await startProjectReceiver();
  const emulator = await startEmulator({
    callbackUrl: target.url,
    callbackToken: 'tok',
    customFieldKeys: ['Level'],
    ...options,
  });
  const { GroupId } = await callRest(emulator, 'group_open_http_svc/create_group', {
    Type: 'Community',
    Name: 'Guild',
    SupportTopic: 1,
    Owner_Account: 'leckie',
  });
  const { TopicId } = await callRest(emulator, 'million_group_open_http_svc/create_topic', {
    GroupId,
    TopicName: 'general',
  });
  await callRest(emulator, 'group_open_http_svc/modify_group_base_info', {
    GroupId,
    Name: 'Guild 2',
    AppDefinedData: [{ Key: 'Level', Value: '9' }],
  });
  await emulator.client('modify_topic', {
    GroupId,
    TopicId,
    Operator_Account: 'leckie',
    OptPlatform: 'iOS',
    Notification: 'n',
  });
  await callRest(emulator, 'million_group_open_http_svc/destroy_topic', { GroupId, TopicIdList: [TopicId] });
  await callRest(emulator, 'group_open_http_svc/destroy_group', { GroupId });
  await emulator.idle();
  return { emulator, events: target.events };
}

describe('the emulator and the project’s receiver', () => {
  it('agree on every callback: signed, accepted with OK, parsed as its command', async () => {
    const { emulator, events } = await driveEverything({});
    const attempts = emulator.deliveries();
    expect(attempts).toHaveLength(6);
    expect(attempts.every((a) => a.outcome === 'ok')).toBe(true);
    expect(events.map((e) => e.command)).toEqual([
      'Group.CallbackAfterCreateGroup',
      'Group.CallbackAfterCreateTopic',
      'Group.CallbackAfterGroupInfoChanged',
      'Group.CallbackAfterTopicInfoChanged',
      'Group.CallbackAfterTopicDestroyed',
      'Group.CallbackAfterGroupDestroyed',
    ]);
    expect(events[3]!.query.OptPlatform).toBe('iOS');
  });

  it('agree with the documented topic body and EventTime sent as a string', async () => {
    const { emulator, events } = await driveEverything({
      topicBody: 'documented',
      eventTimeFormat: 'string',
    });
    expect(emulator.deliveries().every((a) => a.outcome === 'ok')).toBe(true);
    expect(events).toHaveLength(6);
  });
});
