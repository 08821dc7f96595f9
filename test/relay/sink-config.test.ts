import { describe, expect, it } from 'vitest';
import { parseSinks, SinkConfigError } from '../../src/relay/index.js';
import { matchesSinkFilter } from '../../src/relay/sink-config.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('the sinks of the config file', () => {
  it('fills every default and reads each secret from the environment variable the file names', () => {
    const [http, nats, redis, rabbit] = parseSinks(
      [
        { name: 'orders', type: 'http', url: 'https://example.com/hook', secretEnv: 'ORDERS_SECRET' },
        { name: 'bus', type: 'nats', servers: 'nats://127.0.0.1:4222', tokenEnv: 'NATS_TOKEN' },
        { name: 'cache', type: 'redis', url: 'redis://127.0.0.1:6379/2' },
        {
          name: 'mq',
          type: 'rabbitmq',
          url: 'amqp://app@mq',
          passwordEnv: 'MQ_PASSWORD',
          exchange: 'timhook',
        },
      ],
      { ORDERS_SECRET: SECRET, NATS_TOKEN: 'nats-token', MQ_PASSWORD: 'mq-password' },
    );
    expect(http).toEqual({
      settings: {
        name: 'orders',
        type: 'http',
        url: 'https://example.com/hook',
        secretEnv: 'ORDERS_SECRET',
        timeoutMs: 10_000,
        concurrency: 4,
        pipelining: 8,
        payload: 'event',
        retry: { maxAttempts: 8, initialDelayMs: 500, maxDelayMs: 60_000 },
        batchSize: 500,
        from: 'beginning',
        rest: true,
      },
      secrets: { secret: SECRET },
    });
    expect(nats!.settings).toMatchObject({ subject: 'timhook.group.{groupId}', timeoutMs: 5_000 });
    expect(nats!.secrets).toEqual({ token: 'nats-token' });
    expect(redis!.settings).toMatchObject({ stream: 'timhook:changes', maxLen: 100_000 });
    expect(redis!.secrets).toEqual({});
    expect(rabbit!.settings).toMatchObject({ routingKey: 'group.{groupId}', exchange: 'timhook' });
    expect(rabbit!.secrets).toEqual({ password: 'mq-password' });
    expect(parseSinks(undefined, {})).toEqual([]);
  });

  it.each([
    [
      'a secret variable that is not set',
      [{ name: 'a', type: 'http', url: 'https://x/h', secretEnv: 'NOT_SET' }],
      /sink a: the environment variable NOT_SET is not set/,
    ],
    [
      'a password written in a URL',
      [{ name: 'a', type: 'redis', url: 'redis://:hunter2@127.0.0.1:6379' }],
      /sinks\.0\.url: must not hold a password: name an environment variable in "passwordEnv"/,
    ],
    [
      'a secret in the file itself',
      [{ name: 'a', type: 'http', url: 'https://x/h', secretEnv: 'S', secret: SECRET }],
      /sinks\.0: Unrecognized key: "secret"/,
    ],
    [
      'an unknown template variable',
      [{ name: 'a', type: 'nats', servers: 'nats://h:4222', subject: 'x.{group}' }],
      /sinks\.0\.subject: subject may use \{groupId\}/,
    ],
    [
      'a header value that would start another header',
      [
        {
          name: 'a',
          type: 'http',
          url: 'https://x/h',
          secretEnv: 'S',
          headers: { 'X-Team': 'a\r\nX-Injected: 1' },
        },
      ],
      /sinks\.0\.headers\.X-Team: must be one line/,
    ],
    ['an unknown type', [{ name: 'a', type: 'kafka' }], /type must be http, nats, redis or rabbitmq/],
    [
      'two sinks of one name',
      [
        { name: 'a', type: 'redis', url: 'redis://h' },
        { name: 'a', type: 'redis', url: 'redis://h' },
      ],
      /two sinks are named a/,
    ],
    [
      'a signing secret that is not a Standard Webhooks secret',
      [{ name: 'a', type: 'http', url: 'https://x/h', secretEnv: 'S' }],
      /S must be a Standard Webhooks secret/,
    ],
  ])('refuses %s, saying what to fix', (_what, sinks, message) => {
    expect(() => parseSinks(sinks, { S: 'not base64!' })).toThrow(SinkConfigError);
    expect(() => parseSinks(sinks, { S: 'not base64!' })).toThrow(message);
  });
});

describe('a sink filter', () => {
  const event = {
    command: 'Group.CallbackAfterTopicInfoChanged',
    kind: 'topic',
    groupId: '@TGS#_@TGS#C',
  } as const;

  it('passes everything when absent, and an event that matches every list it gives', () => {
    expect(matchesSinkFilter(undefined, event)).toBe(true);
    expect(
      matchesSinkFilter(
        { commands: ['Group.CallbackAfterTopicInfoChanged'], kinds: ['topic'], groups: ['@TGS#_@TGS#C'] },
        event,
      ),
    ).toBe(true);
  });

  it('drops an event that misses any one list', () => {
    expect(matchesSinkFilter({ commands: ['Group.CallbackAfterGroupInfoChanged'] }, event)).toBe(false);
    expect(matchesSinkFilter({ kinds: ['group'] }, event)).toBe(false);
    expect(matchesSinkFilter({ groups: ['@TGS#OTHER'] }, event)).toBe(false);
    expect(matchesSinkFilter({ groups: ['@TGS#OTHER'] }, { ...event, groupId: null })).toBe(false);
  });
});
