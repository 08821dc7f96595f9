import { describe, expect, it } from 'vitest';
import { createRestClient, isRestRegion, REST_REGIONS, resolveRestBaseUrl } from '../../src/rest/index.js';

describe('REST regions', () => {
  it('maps each region to its documented domain over HTTPS', () => {
    expect(REST_REGIONS).toEqual({
      cn: 'console.tim.qq.com',
      sgp: 'adminapisgp.im.qcloud.com',
      kr: 'adminapikr.im.qcloud.com',
      ger: 'adminapiger.im.qcloud.com',
      usa: 'adminapiusa.im.qcloud.com',
      ind: 'adminapiind.im.qcloud.com',
      idn: 'adminapiidn.im.qcloud.com',
      jpn: 'adminapijpn.im.qcloud.com',
      ksa: 'adminapiksa.im.qcloud.com',
    });
    expect(resolveRestBaseUrl({ region: 'sgp' })).toBe('https://adminapisgp.im.qcloud.com');
    expect(resolveRestBaseUrl({ region: 'cn' })).toBe('https://console.tim.qq.com');
  });

  it('takes any http(s) base URL instead, without its trailing slash', () => {
    expect(resolveRestBaseUrl({ baseUrl: 'http://127.0.0.1:8080/' })).toBe('http://127.0.0.1:8080');
    expect(resolveRestBaseUrl({ baseUrl: 'https://proxy.example/im' })).toBe('https://proxy.example/im');
  });

  it('refuses neither or both, an unknown region, and a base URL that is not http(s)', () => {
    expect(() => resolveRestBaseUrl({})).toThrow(/exactly one of `region` and `baseUrl`/);
    expect(() => resolveRestBaseUrl({ region: 'cn', baseUrl: 'http://x' })).toThrow(/exactly one/);
    expect(() => resolveRestBaseUrl({ region: 'mars' as 'cn' })).toThrow(/unknown REST region "mars"/);
    expect(() => resolveRestBaseUrl({ baseUrl: 'ftp://x' })).toThrow(/must be http\(s\)/);
    expect(() => resolveRestBaseUrl({ baseUrl: 'not a url' })).toThrow(/is not a URL/);
    expect(() => resolveRestBaseUrl({ baseUrl: 'http://x/?a=1' })).toThrow(/no query/);
    expect(isRestRegion('toString')).toBe(false);
    expect(isRestRegion('kr')).toBe(true);
  });

  it('gives a client of a region its domain', async () => {
    const client = createRestClient({ sdkAppId: 1, identifier: 'admin', secretKey: 'k', region: 'ger' });
    expect(client.baseUrl).toBe('https://adminapiger.im.qcloud.com');
    await client.close();
  });

  it('refuses a client without an SDKAppID, an identifier or a secret key, with a [timhook] TypeError', () => {
    const base = { sdkAppId: 1400000000, identifier: 'admin', secretKey: 'k', baseUrl: 'http://127.0.0.1:1' };
    expect(() => createRestClient({ ...base, sdkAppId: 'abc' })).toThrow(/\[timhook\] `sdkAppId`/);
    expect(() => createRestClient({ ...base, identifier: '' })).toThrow(/\[timhook\] `identifier`/);
    expect(() => createRestClient({ ...base, secretKey: '' })).toThrow(/\[timhook\] `secretKey`/);
    expect(() => createRestClient({ ...base, timeoutMs: 0 })).toThrow(/`timeoutMs`/);
    expect(() => createRestClient({ ...base, rateLimits: { 'a/b': -1 } })).toThrow(/rateLimits/);
  });
});
