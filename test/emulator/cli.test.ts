import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/command.js';
import { readEmulatorSettings, toEmulatorOptions } from '../../src/cli/emulator-settings.js';
import { DEFAULT_SECRET_KEY } from '../../src/emulator/index.js';
import { computeSign } from '../../src/protocol/index.js';
import { BIN, runCli, spawnCli } from '../cli/support.js';
import { officialSigApi, onCleanup, startReceiver } from './helpers.js';

beforeAll(() => {
  if (!existsSync(BIN))
    throw new Error('dist/cli/bin.js is missing: run `npx tsc -p tsconfig.build.json` first');
});

/** Spawns `timhook emulator <args>` and waits for its URL; it is stopped after the test. */
async function startCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const spawned = spawnCli(['emulator', '--port', '0', ...args], { env });
  onCleanup(async () => {
    if (spawned.child.exitCode === null && spawned.child.signalCode === null) {
      spawned.child.kill('SIGKILL');
      await spawned.exited;
    }
  });
  const [, url] = await spawned.waitFor(/listening on (http:\/\/\S+)/);
  return { spawned, url: url! };
}

describe('timhook emulator (spawned as a user runs it)', () => {
  it('teaches with --help: the four faces, the reads and their limits, every flag, and a worked example', async () => {
    const { code, stdout } = await runCli(['emulator', '--help']);
    expect(code).toBe(0);
    for (const text of [
      'Usage: timhook emulator',
      '/v4/<service>/<command>',
      '/emulator/client/modify_group_base_info',
      '/emulator/silent/modify_group_base_info',
      'get_appid_group_list',
      'ResponseFilter',
      '60007',
      'GET/PUT /emulator/config',
      'tls-sig-api-v2',
      '2 s timeout',
      'Examples:',
    ]) {
      expect(stdout).toContain(text);
    }
    for (const flag of [
      '--port',
      '--host',
      '--sdk-appid',
      '--secret-key',
      '--admin',
      '--callback-url',
      '--callback-token',
      '--callbacks',
      '--limits',
      '--custom-field',
      '--documented-topic-body',
      '--topic-body',
      '--unchanged-fields',
      '--empty-custom-value',
      '--event-time',
      '--retry-on-timeout',
      '--timeout-ms',
      '--rate-limit',
      '--no-rate-limits',
      '--drop-callbacks',
      '--silent-changes',
      '--seed',
    ]) {
      expect(stdout).toContain(flag);
    }
  });

  it('is listed by timhook --help', async () => {
    const { stdout } = await runCli(['--help']);
    expect(stdout).toMatch(/emulator\s+Run a local Chat backend/);
  });

  it('serves REST calls signed by the official generator, delivers signed callbacks, and never prints the token', async () => {
    const receiver = await startReceiver();
    const { spawned, url } = await startCli(
      ['--callback-url', receiver.url, '--custom-field', 'Level', '--sdk-appid', '1400000123'],
      { TIMHOOK_CALLBACK_TOKEN: 'cli-token-value' },
    );
    const sig = officialSigApi(1400000123, DEFAULT_SECRET_KEY).genUserSig('administrator', 600);
    const query = `sdkappid=1400000123&identifier=administrator&usersig=${sig}&random=7&contenttype=json`;
    const answer = await (
      await fetch(`${url}/v4/group_open_http_svc/create_group?${query}`, {
        method: 'POST',
        body: JSON.stringify({ Type: 'Public', Name: 'Ops', AppDefinedData: [{ Key: 'Level', Value: '1' }] }),
      })
    ).json();
    expect(answer).toMatchObject({ ActionStatus: 'OK', GroupId: expect.stringMatching(/^@TGS#/) });
    const [callback] = await receiver.waitFor(1);
    expect(callback!.query.get('SdkAppid')).toBe('1400000123');
    expect(callback!.query.get('Sign')).toBe(
      computeSign('cli-token-value', callback!.query.get('RequestTime')!),
    );
    await spawned.waitFor(/callback CreateGroup @TGS#\S+ → HTTP 200 OK/);
    expect(spawned.stdout()).not.toContain('cli-token-value');
    expect(spawned.stdout()).toContain('"callbackToken":"***"');
  });

  it('drops callbacks as asked, says so per delivery and at start, and serves reads without limits', async () => {
    const receiver = await startReceiver();
    const { spawned, url } = await startCli([
      '--callback-url',
      receiver.url,
      '--drop-callbacks',
      '1',
      '--seed',
      '3',
      '--no-rate-limits',
    ]);
    await spawned.waitFor(/faults: +100% of callbacks dropped \(seed 3\)/);
    const sig = officialSigApi(1400000000, DEFAULT_SECRET_KEY).genUserSig('administrator', 600);
    const call = async (command: string, body: unknown) =>
      (await (
        await fetch(
          `${url}/v4/${command}?sdkappid=1400000000&identifier=administrator&usersig=${sig}&random=7&contenttype=json`,
          { method: 'POST', body: JSON.stringify(body) },
        )
      ).json()) as Record<string, unknown>;
    expect(await call('group_open_http_svc/create_group', { Type: 'Public', Name: 'Ops' })).toMatchObject({
      ActionStatus: 'OK',
    });
    await spawned.waitFor(/callback CreateGroup @TGS#\S+ → dropped on purpose/);
    for (let i = 0; i < 3; i++) {
      expect(await call('group_open_http_svc/get_appid_group_list', {})).toMatchObject({ TotalCount: 1 });
    }
    const { deliveries } = (await (await fetch(`${url}/emulator/deliveries`)).json()) as {
      deliveries: Array<{ outcome: string }>;
    };
    expect(deliveries.map((record) => record.outcome)).toEqual(['dropped']);
    expect(receiver.received).toHaveLength(0);
  });

  it('prints a working UserSig and curl line when it runs with the public default key', async () => {
    const { spawned, url } = await startCli([]);
    const [, sig] = await spawned.waitFor(
      /UserSig for administrator \(public default key, valid 24 h\): (\S+)/,
    );
    const answer = await (
      await fetch(
        `${url}/v4/group_open_http_svc/create_group?sdkappid=1400000000&identifier=administrator&usersig=${sig}&random=1&contenttype=json`,
        { method: 'POST', body: '{"Type":"Public","Name":"Ops"}' },
      )
    ).json();
    expect(answer).toMatchObject({ ActionStatus: 'OK' });
    expect(spawned.stdout()).toContain(`curl -X POST '${url}/v4/group_open_http_svc/create_group?`);
  });

  it('never prints a secret key it was given, nor a UserSig made with it', async () => {
    const { spawned } = await startCli(['--secret-key', 'my-own-secret-key']);
    await spawned.waitFor(/UserSig: sign with your --secret-key/);
    expect(spawned.stdout()).not.toContain('my-own-secret-key');
    expect(spawned.stdout()).not.toMatch(/usersig=eJ/);
  });

  it('stops cleanly with exit code 0 on SIGINT', async () => {
    const { spawned } = await startCli(['--quiet']);
    spawned.child.kill('SIGINT');
    expect(await spawned.exited).toBe(0);
  });

  it('refuses a bad flag value with exit code 2 and a pointer to --help', async () => {
    for (const args of [['--limits', 'huge'], ['--callbacks', 'everything'], ['--port', 'x'], ['--nope']]) {
      const { code, stderr } = await runCli(['emulator', ...args]);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toContain("Run 'timhook emulator --help'");
    }
  });
});

describe('readEmulatorSettings and toEmulatorOptions', () => {
  it('turns flags into emulator options with the documented defaults', () => {
    const options = toEmulatorOptions(readEmulatorSettings([], {}));
    expect(options).toEqual({
      host: '127.0.0.1',
      port: 8788,
      sdkAppId: '1400000000',
      admins: ['administrator'],
      callbackUrl: null,
      callbackToken: null,
      callbacks: {
        groupInfo: true,
        createGroup: true,
        groupDestroyed: true,
        createTopic: true,
        topicDestroyed: true,
      },
      limits: 'default',
      customFieldKeys: [],
      topicBody: 'extended',
      unchangedFields: 'omit',
      emptyCustomValue: 'set',
      eventTimeFormat: 'number',
      callbackContentType: null,
      timeoutMs: 2000,
      retryOnTimeout: 0,
      retryIntervalMs: 1000,
      rateLimits: 'default',
      dropCallbacks: 0,
      silentChanges: false,
      seed: null,
    });
  });

  it('reads the rate limits and the drift faults: --rate-limit, --no-rate-limits, --drop-callbacks, --silent-changes, --seed', () => {
    const options = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      toEmulatorOptions(readEmulatorSettings(args, env));
    expect(
      options([
        '--rate-limit',
        'get_group_info=50,million_group_open_http_svc/get_topic=off',
        '--rate-limit',
        'get_appid_group_list=0.5',
        '--drop-callbacks',
        '0.2',
        '--silent-changes',
        '--seed',
        '42',
      ]),
    ).toMatchObject({
      rateLimits: {
        'group_open_http_svc/get_group_info': 50,
        'million_group_open_http_svc/get_topic': 'off',
        'group_open_http_svc/get_appid_group_list': 0.5,
      },
      dropCallbacks: 0.2,
      silentChanges: true,
      seed: 42,
    });
    expect(options(['--no-rate-limits']).rateLimits).toEqual({
      'group_open_http_svc/get_appid_group_list': 'off',
      'group_open_http_svc/get_group_info': 'off',
      'million_group_open_http_svc/get_topic': 'off',
    });
    expect(options(['--no-rate-limits', '--rate-limit', 'get_topic=5']).rateLimits).toMatchObject({
      'group_open_http_svc/get_group_info': 'off',
      'million_group_open_http_svc/get_topic': 5,
    });
    expect(options([], { TIMHOOK_DROP_CALLBACKS: '0.5', TIMHOOK_SEED: '9' })).toMatchObject({
      dropCallbacks: 0.5,
      seed: 9,
    });
  });

  it('reads every switch, comma lists and repeats alike, and secrets from the environment', () => {
    const settings = readEmulatorSettings(
      [
        '--callbacks',
        'info,create-topic',
        '--admin',
        'a',
        '--admin',
        'b',
        '--custom-field',
        'Level,Tag',
        '--limits',
        'newer',
        '--documented-topic-body',
        '--unchanged-fields',
        'send',
        '--empty-custom-value',
        'delete',
        '--event-time',
        'string',
        '--retry-on-timeout',
        '3',
        '--callback-content-type',
        'application/json',
      ],
      { TIMHOOK_SECRET_KEY: 'k', TIMHOOK_CALLBACK_TOKEN: 't', TIMHOOK_CALLBACK_URL: 'http://127.0.0.1:1/cb' },
    );
    expect(toEmulatorOptions(settings)).toMatchObject({
      secretKey: 'k',
      callbackToken: 't',
      callbackUrl: 'http://127.0.0.1:1/cb',
      admins: ['a', 'b'],
      customFieldKeys: ['Level', 'Tag'],
      callbacks: {
        groupInfo: true,
        createGroup: false,
        groupDestroyed: false,
        createTopic: true,
        topicDestroyed: false,
      },
      limits: 'newer',
      topicBody: 'documented',
      unchangedFields: 'send',
      emptyCustomValue: 'delete',
      eventTimeFormat: 'string',
      retryOnTimeout: 3,
      callbackContentType: 'application/json',
    });
    expect(toEmulatorOptions(readEmulatorSettings(['--callbacks', 'none'], {})).callbacks).toEqual({
      groupInfo: false,
      createGroup: false,
      groupDestroyed: false,
      createTopic: false,
      topicDestroyed: false,
    });
  });

  it('takes host and port from flags only, not from TIMHOOK_PORT (which belongs to serve)', () => {
    expect(readEmulatorSettings([], { TIMHOOK_PORT: '1', TIMHOOK_HOST: '0.0.0.0' })).toMatchObject({
      host: '127.0.0.1',
      port: 8788,
    });
  });

  it('refuses bad values with a UsageError naming the flag', () => {
    const refuse = (args: string[]) => () => toEmulatorOptions(readEmulatorSettings(args, {}));
    expect(refuse(['--callback-url', 'ftp://x'])).toThrow(UsageError);
    expect(refuse(['--callback-url', 'ftp://x'])).toThrow(/--callback-url/);
    expect(refuse(['--custom-field', 'bad-key'])).toThrow(/--custom-field/);
    expect(refuse(['--retry-on-timeout', '11'])).toThrow(/--retry-on-timeout/);
    expect(refuse(['--topic-body', 'weird'])).toThrow(/--topic-body/);
    expect(refuse(['--callbacks', 'info,nope'])).toThrow(/--callbacks/);
    for (const entry of [
      'get_group_info',
      'get_everything=1',
      'get_group_info=0',
      'get_group_info=-1',
      '=5',
    ]) {
      expect(refuse(['--rate-limit', entry]), entry).toThrow(/--rate-limit/);
    }
    expect(refuse(['--drop-callbacks', '1.5'])).toThrow(/--drop-callbacks/);
    expect(refuse(['--drop-callbacks', 'some'])).toThrow(/--drop-callbacks/);
    expect(refuse(['--seed', '-1'])).toThrow(/--seed/);
    expect(refuse(['--seed', '1.5'])).toThrow(/--seed/);
  });
});
