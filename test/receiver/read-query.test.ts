import { describe, expect, it } from 'vitest';
import { readCallbackQuery } from '../../src/protocol/index.js';
import { querySearchOf, readQueryString } from '../../src/receiver/read-query.js';

describe('readQueryString', () => {
  it.each([
    'SdkAppid=1400000000&CallbackCommand=Group.CallbackAfterGroupInfoChanged&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI',
    'SdkAppid=1&Sign=ABCdef&RequestTime=1669872112',
    '?SdkAppid=1&OptPlatform=macOS',
    'SdkAppid=1&SdkAppid=2',
    'sdkappid=1&SDKAPPID=2',
    'SdkAppid=&Sign&RequestTime=',
    'ClientIP=2001%3Adb8%3A%3A1&OptPlatform=IOS',
    'ClientIP=a+b&CallbackCommand=%47roup.X',
    'Sdk%41ppid=7&Sign=%zz%41',
    'CallbackCommand=a=b=c&&&=x&contenttype=%E7%BE%A4',
    'contenttype=%ff%fe',
    '',
    '&',
    'OptPlatform=',
  ])('reads %j exactly as URLSearchParams does', (search) => {
    expect(readQueryString(search)).toEqual(readCallbackQuery(new URLSearchParams(search)));
  });
});

describe('readQueryString on generated queries', () => {
  // Pieces that stress the reader: every name, near-misses, separators, encodings, a leading `?`.
  const PIECES = [
    'SdkAppid',
    'CallbackCommand',
    'contenttype',
    'ClientIP',
    'OptPlatform',
    'Sign',
    'RequestTime',
    'sdkappid',
    'SdkAppi',
    'SdkAppidX',
    'Sdk%41ppid',
    'Sig%6E',
    'Si+gn',
    '=',
    '=',
    '&',
    '&',
    '&&',
    '?',
    '1400000000',
    'abc',
    '%zz',
    '%41',
    '%E7%BE%A4',
    '%ff',
    '+',
    'a+b',
    '',
    '#',
    '%',
  ];

  it('matches URLSearchParams on 5000 random queries', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let i = 0; i < 5000; i++) {
      const count = Math.floor(random() * 14);
      let search = '';
      for (let j = 0; j < count; j++) search += PIECES[Math.floor(random() * PIECES.length)];
      expect(readQueryString(search), search).toEqual(readCallbackQuery(new URLSearchParams(search)));
    }
  });
});

describe('querySearchOf', () => {
  it('gives the part after ? and before #, or nothing', () => {
    expect(querySearchOf('/callback?SdkAppid=1&Sign=x')).toBe('SdkAppid=1&Sign=x');
    expect(querySearchOf('https://example.com/cb?a=1#frag?b=2')).toBe('a=1');
    expect(querySearchOf('/callback')).toBe('');
    expect(querySearchOf('/callback?')).toBe('');
  });
});
