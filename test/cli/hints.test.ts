import { describe, expect, it } from 'vitest';
import { closestName } from '../../src/cli/closest-name.js';
import { describeHttpUrlProblem } from '../../src/cli/http-url.js';
import { runCli } from './support.js';

const KEYS = ['sdkAppId', 'host', 'port', 'path', 'db', 'maxSkew', 'durability', 'maxBody', 'sinks'];

describe('closestName', () => {
  it('counts a swap of two neighbouring letters as one edit', () => {
    expect(closestName('prot', KEYS)).toBe('port');
    expect(closestName('duarbility', KEYS)).toBe('durability');
  });

  it('ignores case, - and _', () => {
    expect(closestName('SDK_APPID', KEYS)).toBe('sdkAppId');
    expect(closestName('max-body', KEYS)).toBe('maxBody');
  });

  it('suggests nothing when no name is close', () => {
    expect(closestName('colourScheme', KEYS)).toBeNull();
    expect(closestName('x', ['db'])).toBeNull();
  });
});

describe('describeHttpUrlProblem', () => {
  it('accepts http and https URLs with a host', () => {
    expect(describeHttpUrlProblem('--url', 'http://127.0.0.1:8787/callback')).toBeNull();
    expect(describeHttpUrlProblem('--url', 'https://example.com/im')).toBeNull();
  });

  it('suggests http:// in front of a host and port, and gives an example otherwise', () => {
    expect(describeHttpUrlProblem('--url', 'example.com/im')).toBe(
      '--url must start with http:// or https:// (got example.com/im): did you mean http://example.com/im?',
    );
    expect(describeHttpUrlProblem('--url', 'ws://example.com')).toBe(
      '--url must start with http:// or https:// (got ws://example.com), e.g. http://127.0.0.1:8787',
    );
  });
});

describe('a mistaken flag', () => {
  it('is answered with the closest flag the command has', async () => {
    const serve = await runCli(['serve', '--prot', '1']);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain('unknown option --prot: did you mean --port?');
    const emulator = await runCli(['emulator', '--callback-ulr', 'http://127.0.0.1:1/cb']);
    expect(emulator.code).toBe(2);
    expect(emulator.stderr).toContain('unknown option --callback-ulr: did you mean --callback-url?');
  });

  it('gets a message naming it when its value is of the wrong kind', async () => {
    const port = await runCli(['serve', '--sdk-appid', '1', '--token', 't', '--port', 'x']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port must be a whole number');
    const url = await runCli(['reconcile', '--url', '127.0.0.1:8787']);
    expect(url.code).toBe(2);
    expect(url.stderr).toContain('--url must start with http:// or https:// (got 127.0.0.1:8787)');
  });
});
