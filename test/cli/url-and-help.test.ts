import { describe, expect, it } from 'vitest';
import { runCli } from './support.js';

/** The help block of one flag: from its line to the next flag's. */
function helpOf(help: string, flag: string): string {
  const start =
    help.indexOf(`\n  ${flag} `) >= 0 ? help.indexOf(`\n  ${flag} `) : help.indexOf(`\n  ${flag}\n`);
  if (start < 0) throw new Error(`no ${flag} in the help:\n${help}`);
  const next = help.indexOf('\n  --', start + 1);
  return help.slice(start, next < 0 ? undefined : next).replace(/\s+/g, ' ');
}

const SIGNED = ['--sdk-appid', '1400000001', '--token', 'tok', '--group', 'g'];

describe('a --url without http:// or https://', () => {
  it.each(['127.0.0.1:8787/callback', 'localhost:8787/callback', 'ftp://127.0.0.1/callback'])(
    'is refused by send as needing the scheme, not as missing (%s)',
    async (url) => {
      const { code, stderr } = await runCli(['send', '--url', url, ...SIGNED]);
      expect(code).toBe(2);
      expect(stderr).toContain(`--url must start with http:// or https:// (got ${url})`);
      expect(stderr).not.toContain('--url is required');
    },
  );

  it('suggests the URL with http:// in front when that is all it lacks', async () => {
    const { stderr } = await runCli(['send', '--url', '127.0.0.1:8787/callback', ...SIGNED]);
    expect(stderr).toContain('did you mean http://127.0.0.1:8787/callback?');
  });

  it('is still called missing when send has no --url at all', async () => {
    const { code, stderr } = await runCli(['send', ...SIGNED]);
    expect(code).toBe(2);
    expect(stderr).toContain('--url is required');
  });

  it('is refused the same way by tail and relay', async () => {
    const tail = await runCli(['tail', '--url', '127.0.0.1:8787']);
    expect(tail.code).toBe(2);
    expect(tail.stderr).toContain('--url must start with http:// or https:// (got 127.0.0.1:8787)');
    const relay = await runCli(['relay', 'status', '--url', 'localhost:8787']);
    expect(relay.code).toBe(2);
    expect(relay.stderr).toContain('--url must start with http:// or https:// (got localhost:8787)');
  });
});

describe('--help states every rule a value must follow', () => {
  it('serve: the length of --api-token, the ranges and forms of the others', async () => {
    const { stdout } = await runCli(['serve', '--help']);
    expect(helpOf(stdout, '--api-token')).toContain('at least 8 characters');
    expect(helpOf(stdout, '--sdk-appid')).toContain('digits only');
    expect(helpOf(stdout, '--token')).toContain('must not be empty');
    expect(helpOf(stdout, '--port')).toContain('0 to 65535');
    expect(helpOf(stdout, '--path')).toContain('starts with /');
    expect(helpOf(stdout, '--max-skew')).toContain('a positive number');
    expect(helpOf(stdout, '--max-body')).toContain('a positive whole number');
    expect(helpOf(stdout, '--durability')).toMatch(/full: .* normal: /);
  });

  it('serve: each rule the help states is the one enforced', async () => {
    const short = await runCli(['serve', '--sdk-appid', '1', '--token', 't', '--api-token', 'seven77']);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('--api-token must be at least 8 characters');
  });

  it('send, tail and relay: --url must be http(s)', async () => {
    for (const args of [['send'], ['tail'], ['relay', 'status']]) {
      const { stdout } = await runCli([...args, '--help']);
      expect(helpOf(stdout, '--url')).toContain('http:// or https://');
    }
  });

  it('demo: the port ranges and the rate', async () => {
    const { stdout } = await runCli(['demo', '--help']);
    expect(helpOf(stdout, '--port')).toContain('0 to 65535');
    expect(helpOf(stdout, '--emulator-port')).toContain('0 to 65535');
    expect(helpOf(stdout, '--rate')).toContain('0 to 1000');
  });

  it('emulator: the port, the ids and the bounds of each number', async () => {
    const { stdout } = await runCli(['emulator', '--help']);
    expect(helpOf(stdout, '--port')).toContain('0 to 65535');
    expect(helpOf(stdout, '--sdk-appid')).toContain('digits');
    expect(helpOf(stdout, '--timeout-ms')).toContain('1 to 60000');
    expect(helpOf(stdout, '--retry-on-timeout')).toContain('0 to 10');
    expect(helpOf(stdout, '--retry-interval-ms')).toContain('0 to 60000');
  });
});
