import { describe, expect, it } from 'vitest';
import { buildCallbackUrl, readCallbackQuery } from '../../src/protocol/query.js';
import { computeSign } from '../../src/protocol/sign.js';

describe('readCallbackQuery', () => {
  it('reads every parameter of a signed callback URL', () => {
    const url = new URL(
      'https://www.example.com/callback?SdkAppid=1400000000&CallbackCommand=Group.CallbackAfterGroupInfoChanged' +
        '&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI' +
        '&Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&RequestTime=1669872112',
    );
    expect(readCallbackQuery(url.searchParams)).toEqual({
      SdkAppid: '1400000000',
      CallbackCommand: 'Group.CallbackAfterGroupInfoChanged',
      contenttype: 'json',
      ClientIP: '127.0.0.1',
      OptPlatform: 'RESTAPI',
      Sign: '17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061',
      RequestTime: '1669872112',
    });
  });

  it('gives null for every parameter that is absent, as on an unsigned callback', () => {
    expect(readCallbackQuery(new URLSearchParams('SdkAppid=1400000000'))).toEqual({
      SdkAppid: '1400000000',
      CallbackCommand: null,
      contenttype: null,
      ClientIP: null,
      OptPlatform: null,
      Sign: null,
      RequestTime: null,
    });
  });

  it('reads parameter names case-sensitively, so sdkappid is not SdkAppid', () => {
    const query = readCallbackQuery(new URLSearchParams('sdkappid=1&SDKAppID=2&sign=x&requesttime=3'));
    expect(query.SdkAppid).toBeNull();
    expect(query.Sign).toBeNull();
    expect(query.RequestTime).toBeNull();
  });

  it('normalises OptPlatform and keeps an unknown one as sent', () => {
    expect(readCallbackQuery(new URLSearchParams('OptPlatform=macOS')).OptPlatform).toBe('Mac');
    expect(readCallbackQuery(new URLSearchParams('OptPlatform=IOS')).OptPlatform).toBe('iOS');
    expect(readCallbackQuery(new URLSearchParams('OptPlatform=HarmonyOS')).OptPlatform).toBe('HarmonyOS');
    expect(readCallbackQuery(new URLSearchParams('OptPlatform=')).OptPlatform).toBeNull();
  });

  it('takes the first of a repeated parameter', () => {
    expect(readCallbackQuery(new URLSearchParams('SdkAppid=1&SdkAppid=2')).SdkAppid).toBe('1');
  });
});

describe('buildCallbackUrl', () => {
  it('builds the documented query of an unsigned callback, with defaults for ClientIP and OptPlatform', () => {
    const url = buildCallbackUrl('https://www.example.com/cb', {
      sdkAppId: '1400000000',
      command: 'Group.CallbackAfterTopicInfoChanged',
    });
    expect(url).toBe(
      'https://www.example.com/cb?SdkAppid=1400000000&CallbackCommand=Group.CallbackAfterTopicInfoChanged' +
        '&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI',
    );
  });

  it('adds Sign and RequestTime last when signing', () => {
    const sign = computeSign('xxxxyyyy', 1669872112);
    const url = buildCallbackUrl('http://127.0.0.1:8080/callback', {
      sdkAppId: '1400000000',
      command: 'Group.CallbackAfterGroupInfoChanged',
      clientIp: '10.0.0.7',
      optPlatform: 'iOS',
      sign: { sign, requestTime: 1669872112 },
    });
    expect(url).toBe(
      'http://127.0.0.1:8080/callback?SdkAppid=1400000000&CallbackCommand=Group.CallbackAfterGroupInfoChanged' +
        `&contenttype=json&ClientIP=10.0.0.7&OptPlatform=iOS&Sign=${sign}&RequestTime=1669872112`,
    );
  });

  it('round-trips through readCallbackQuery', () => {
    const url = buildCallbackUrl('https://hooks.example.com/x?tenant=a%26b', {
      sdkAppId: '1400000000',
      command: 'Group.CallbackAfterCreateTopic',
      optPlatform: 'macOS',
      sign: { sign: 'abc', requestTime: '1700000000' },
    });
    const parsed = new URL(url);
    expect(parsed.searchParams.get('tenant')).toBe('a&b');
    expect(readCallbackQuery(parsed.searchParams)).toEqual({
      SdkAppid: '1400000000',
      CallbackCommand: 'Group.CallbackAfterCreateTopic',
      contenttype: 'json',
      ClientIP: '127.0.0.1',
      OptPlatform: 'Mac',
      Sign: 'abc',
      RequestTime: '1700000000',
    });
  });

  it('replaces callback parameters the base URL already carries instead of repeating them', () => {
    const url = buildCallbackUrl('https://www.example.com/cb?SdkAppid=999', {
      sdkAppId: '1400000000',
      command: 'Group.CallbackAfterGroupInfoChanged',
    });
    expect(new URL(url).searchParams.getAll('SdkAppid')).toEqual(['1400000000']);
  });
});
