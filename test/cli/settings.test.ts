import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/command.js';
import { commaList, oneOf, setting, specsOf, wholeNumber } from '../../src/cli/setting.js';
import { describeSettings, maskSecrets, readSettings } from '../../src/cli/settings.js';

const Settings = z.object({
  port: setting(wholeNumber('port', 0, 65_535).default(8787), { flag: 'port', help: 'Port.' }),
  mode: setting(oneOf('mode', ['fast', 'safe', 'slow']).default('safe'), {
    flag: 'mode',
    placeholder: 'mode',
    help: 'How.',
  }),
  verbose: setting(z.boolean().default(false), { flag: 'verbose', help: 'Say more.' }),
  tags: setting(commaList(z.array(z.string())).default(['a']), { flag: 'tag', help: 'A tag.' }),
  keys: setting(z.array(z.string()).optional(), { flag: 'key', secret: true, help: 'A key.' }),
  once: setting(z.string().optional(), { flag: 'once', env: false, help: 'This run only.' }),
});

describe('specsOf', () => {
  it('derives the kind, the variable and the default of each setting from its schema and meta', () => {
    expect(
      specsOf(Settings).map(({ key, flag, kind, env, secret, default: value }) => [
        key,
        flag,
        kind,
        env,
        secret,
        value,
      ]),
    ).toEqual([
      ['port', 'port', 'string', 'TIMHOOK_PORT', false, 8787],
      ['mode', 'mode', 'string', 'TIMHOOK_MODE', false, 'safe'],
      ['verbose', 'verbose', 'boolean', 'TIMHOOK_VERBOSE', false, false],
      ['tags', 'tag', 'list', 'TIMHOOK_TAG', false, ['a']],
      ['keys', 'key', 'list', 'TIMHOOK_KEY', true, undefined],
      ['once', 'once', 'string', null, false, undefined],
    ]);
  });

  it('refuses a field declared without setting(), at once', () => {
    expect(() => specsOf(z.object({ bare: z.string() }))).toThrow(
      '[timhook] the setting bare is not declared with setting()',
    );
  });
});

describe('readSettings', () => {
  it('takes flags over variables over defaults, and splits lists from either', () => {
    const env = { TIMHOOK_PORT: '9000', TIMHOOK_MODE: 'fast', TIMHOOK_TAG: 'x, y', TIMHOOK_VERBOSE: 'yes' };
    expect(readSettings(Settings, ['--port', '1', '--tag', 'p,q', '--tag', 'r'], env).settings).toEqual({
      port: 1,
      mode: 'fast',
      verbose: true,
      tags: ['p', 'q', 'r'],
    });
    expect(readSettings(Settings, [], env).settings).toMatchObject({ port: 9000, tags: ['x', 'y'] });
    expect(readSettings(Settings, [], {}).settings).toEqual({
      port: 8787,
      mode: 'safe',
      verbose: false,
      tags: ['a'],
    });
  });

  it('reads a flag-only setting from its flag alone', () => {
    expect(readSettings(Settings, [], { TIMHOOK_ONCE: 'x' }).settings.once).toBeUndefined();
    expect(readSettings(Settings, ['--once', 'x'], {}).settings.once).toBe('x');
  });

  it('throws a UsageError naming the flag, with every value allowed or the closest flag', () => {
    const refused = (args: string[]) => () => readSettings(Settings, args, {});
    expect(refused(['--mode', 'quick'])).toThrow(UsageError);
    expect(refused(['--mode', 'quick'])).toThrow('--mode must be one of fast, safe, slow');
    expect(refused(['--port', '70000'])).toThrow('--port must be at most 65535');
    expect(refused(['--mdoe', 'fast'])).toThrow('unknown option --mdoe: did you mean --mode?');
    expect(refused(['--colour'])).toThrow(/^unknown option --colour$/);
  });
});

describe('describeSettings and maskSecrets', () => {
  it('writes each flag with its placeholder, default and variable', () => {
    const help = describeSettings(Settings);
    expect(help).toContain('  --port <value>\n      Port. [default: 8787]  env TIMHOOK_PORT');
    expect(help).toContain('  --mode <mode>\n      How. [default: safe]  env TIMHOOK_MODE');
    expect(help).toContain('  --verbose\n      Say more.  env TIMHOOK_VERBOSE');
    expect(help).toContain('  --tag <value> (repeatable)\n      A tag. [default: a]  env TIMHOOK_TAG');
    expect(help.endsWith('  --once <value>\n      This run only.')).toBe(true);
  });

  it('masks each secret and keeps only the settings of the object', () => {
    expect(maskSecrets(Settings, { port: 1, keys: ['k1', 'k2'], other: 'x' })).toEqual({
      port: 1,
      mode: undefined,
      verbose: undefined,
      tags: undefined,
      keys: ['***', '***'],
      once: undefined,
    });
  });
});
