import { describe, expect, it } from 'vitest';
import { parseEventTime } from '../../src/protocol/event-time.js';

describe('parseEventTime', () => {
  it('reads a number of milliseconds', () => {
    expect(parseEventTime(1669872112345)).toBe(1669872112345);
    expect(parseEventTime(0)).toBe(0);
  });

  it('reads a numeric string as the same number', () => {
    expect(parseEventTime('1669872112345')).toBe(1669872112345);
    expect(parseEventTime('0')).toBe(0);
    expect(parseEventTime('0001669872112345')).toBe(1669872112345);
  });

  it('refuses a string that is not only digits', () => {
    for (const value of ['', ' 1', '1 ', '1.5', '-1', '+1', '1e12', '0x10', 'abc', '１２３']) {
      expect(parseEventTime(value), JSON.stringify(value)).toBeUndefined();
    }
  });

  it('refuses a numeric string past the safe integer range', () => {
    expect(parseEventTime('9007199254740991')).toBe(9007199254740991);
    expect(parseEventTime('9007199254740993')).toBeUndefined();
    expect(parseEventTime('12345678901234567')).toBeUndefined();
  });

  it('refuses a negative, fractional, infinite or unsafe number', () => {
    for (const value of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(parseEventTime(value), String(value)).toBeUndefined();
    }
  });

  it('refuses anything that is neither a number nor a string', () => {
    for (const value of [null, undefined, true, {}, [1], 10n]) {
      expect(parseEventTime(value)).toBeUndefined();
    }
  });
});
