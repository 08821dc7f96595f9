import { describe, expect, it } from 'vitest';
import { constantTimeEqual } from '../../src/protocol/constant-time.js';

describe('constantTimeEqual', () => {
  it('says equal strings are equal', () => {
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('17773bc3', '17773bc3')).toBe(true);
    expect(constantTimeEqual('群组😀', '群组😀')).toBe(true);
  });

  it('says strings that differ in one character, first or last, are not equal', () => {
    expect(constantTimeEqual('abcdef', 'xbcdef')).toBe(false);
    expect(constantTimeEqual('abcdef', 'abcdex')).toBe(false);
    expect(constantTimeEqual('a', 'A')).toBe(false);
  });

  it('says a string and its prefix are not equal, whichever comes first', () => {
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('abcd', 'abc')).toBe(false);
    expect(constantTimeEqual('', 'a')).toBe(false);
  });

  it('is not fooled by a trailing NUL that reads like a missing character', () => {
    expect(constantTimeEqual('abc', 'abc\u0000')).toBe(false);
    expect(constantTimeEqual('abc\u0000', 'abc')).toBe(false);
  });

  it('is not fooled by lengths that differ by a power of two', () => {
    expect(constantTimeEqual('a'.repeat(64), 'a'.repeat(128))).toBe(false);
    expect(constantTimeEqual('', 'a'.repeat(256))).toBe(false);
  });
});
