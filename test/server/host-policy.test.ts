import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { type ApiError } from '../../src/server/http.js';
import { createHostPolicy, parseHost, refuseCrossSite } from '../../src/server/host-policy.js';

const requestWith = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('parseHost', () => {
  it.each([
    ['localhost', { name: 'localhost', port: null }],
    ['LocalHost.:8787', { name: 'localhost', port: '8787' }],
    ['[::1]:80', { name: '[::1]', port: '80' }],
    ['hooks.example.com', { name: 'hooks.example.com', port: null }],
  ])('reads %s', (value, expected) => {
    expect(parseHost(value)).toEqual(expected);
  });

  it.each(['', 'a b', 'evil.example@127.0.0.1', 'host:port', 'a/b', ':80', 'a..b', '[::1'])(
    'refuses %j',
    (value) => {
      expect(parseHost(value)).toBeNull();
    },
  );
});

describe('createHostPolicy', () => {
  it('allows the loopback names on any port and nothing else by default', () => {
    const policy = createHostPolicy({});
    for (const host of ['localhost', 'localhost:1', '127.0.0.1:8787', '[::1]:8787', undefined]) {
      expect(policy.allows(host), String(host)).toBe(true);
    }
    for (const host of ['evil.example', '127.0.0.2', 'localhost.evil.example', '10.0.0.1:8787', '']) {
      expect(policy.allows(host), host).toBe(false);
    }
  });

  it('adds a public name on any port, or on the one port it names', () => {
    const policy = createHostPolicy({ publicHosts: ['Hooks.Example.com', 'other.example:8443'] });
    expect(policy.allows('hooks.example.com')).toBe(true);
    expect(policy.allows('hooks.example.com:9000')).toBe(true);
    expect(policy.allows('other.example:8443')).toBe(true);
    expect(policy.allows('other.example')).toBe(false);
    expect(policy.allows('other.example:443')).toBe(false);
  });

  it('allows any name when an API token guards the routes, unless public names are given', () => {
    expect(createHostPolicy({ anyHost: true }).allows('evil.example')).toBe(true);
    const named = createHostPolicy({ anyHost: true, publicHosts: ['hooks.example.com'] });
    expect(named.allows('evil.example')).toBe(false);
    expect(named.allows('localhost:8787')).toBe(true);
  });

  it('refuses a public name that is not a NAME or NAME:PORT at construction', () => {
    expect(() => createHostPolicy({ publicHosts: ['https://hooks.example.com'] })).toThrow(
      /^\[timhook\] public host "https:\/\/hooks.example.com" is not a NAME or NAME:PORT$/,
    );
  });
});

describe('refuseCrossSite', () => {
  const refused = (headers: Record<string, string>) => {
    try {
      refuseCrossSite(requestWith(headers));
      return null;
    } catch (error) {
      return (error as ApiError).code;
    }
  };

  it('lets through a request with neither header (curl) and a same-origin one', () => {
    expect(refused({ host: 'localhost:8787' })).toBeNull();
    expect(refused({ host: 'localhost:8787', origin: 'http://localhost:8787' })).toBeNull();
    expect(refused({ host: 'hooks.example.com', origin: 'https://hooks.example.com' })).toBeNull();
    expect(refused({ host: 'hooks.example.com:443', origin: 'https://hooks.example.com' })).toBeNull();
    expect(refused({ host: 'localhost:8787', 'sec-fetch-site': 'same-origin' })).toBeNull();
    expect(refused({ host: 'localhost:8787', 'sec-fetch-site': 'none' })).toBeNull();
  });

  it.each([
    ['Origin: null', { origin: 'null' }],
    ['another name', { origin: 'http://evil.example:8787' }],
    ['another port', { origin: 'http://localhost:3000' }],
    ['a non-web scheme', { origin: 'file://' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
  ])('refuses %s with cross_site', (_, headers) => {
    expect(refused({ host: 'localhost:8787', ...headers })).toBe('cross_site');
  });
});
