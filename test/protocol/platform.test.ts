import { describe, expect, it } from 'vitest';
import { normalizeOptPlatform, OptPlatforms } from '../../src/protocol/platform.js';

describe('normalizeOptPlatform', () => {
  it('keeps every documented value as it is', () => {
    expect(OptPlatforms).toEqual(['RESTAPI', 'Web', 'Android', 'iOS', 'Windows', 'Mac', 'iPad', 'Unknown']);
    for (const platform of OptPlatforms) expect(normalizeOptPlatform(platform)).toBe(platform);
  });

  it('reads macOS as Mac and IOS as iOS', () => {
    expect(normalizeOptPlatform('macOS')).toBe('Mac');
    expect(normalizeOptPlatform('IOS')).toBe('iOS');
  });

  it('keeps an unknown value exactly as sent instead of rejecting it', () => {
    for (const value of ['HarmonyOS', 'MACOS', 'ios', 'web', 'Linux', ' iOS', '微信小程序']) {
      expect(normalizeOptPlatform(value)).toBe(value);
    }
  });

  it('does not treat names of Object.prototype as aliases', () => {
    expect(normalizeOptPlatform('constructor')).toBe('constructor');
    expect(normalizeOptPlatform('toString')).toBe('toString');
    expect(normalizeOptPlatform('__proto__')).toBe('__proto__');
  });

  it('gives null for a missing or empty value', () => {
    expect(normalizeOptPlatform(undefined)).toBeNull();
    expect(normalizeOptPlatform(null)).toBeNull();
    expect(normalizeOptPlatform('')).toBeNull();
  });
});
