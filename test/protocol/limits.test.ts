import { describe, expect, it } from 'vitest';
import {
  CUSTOM_FIELD_LIMITS,
  DEFAULT_GROUP_LIMITS,
  findLimitViolations,
  isValidCustomFieldKey,
  NEWER_GROUP_LIMITS,
  TOPIC_LIMITS,
  utf8ByteLength,
} from '../../src/protocol/limits.js';

const encoder = new TextEncoder();

describe('utf8ByteLength', () => {
  it('counts one byte per ASCII character', () => {
    expect(utf8ByteLength('')).toBe(0);
    expect(utf8ByteLength('NewGroupName')).toBe(12);
  });

  it('counts two bytes for Latin letters with accents and Cyrillic', () => {
    expect(utf8ByteLength('é')).toBe(2);
    expect(utf8ByteLength('Привет')).toBe(12);
  });

  it('counts three bytes per CJK character', () => {
    expect(utf8ByteLength('群')).toBe(3);
    expect(utf8ByteLength('腾讯云即时通信')).toBe(21);
    expect(utf8ByteLength('群A')).toBe(4);
  });

  it('counts four bytes per emoji written as a surrogate pair', () => {
    expect(utf8ByteLength('😀')).toBe(4);
    expect(utf8ByteLength('a😀b')).toBe(6);
    expect(utf8ByteLength('👍🏽')).toBe(8);
  });

  it('counts a lone surrogate as the three bytes of the replacement character it is encoded as', () => {
    expect(utf8ByteLength('\ud83d')).toBe(3);
    expect(utf8ByteLength('\ude00')).toBe(3);
    expect(utf8ByteLength('a\ud83d')).toBe(4);
    expect(utf8ByteLength('\ud83dz')).toBe(4);
    expect(utf8ByteLength('\ude00\ud83d')).toBe(6);
    expect(utf8ByteLength('\ud83d\ud83d\ude00')).toBe(7);
  });

  it('agrees with TextEncoder on a mixed string', () => {
    const samples = ['Name 名字 😀 é \ud800 x\udfff', '\u07ff\u0800\uffff', 'NewNotification'];
    for (const text of samples) {
      expect(utf8ByteLength(text), JSON.stringify(text)).toBe(encoder.encode(text).length);
    }
  });
});

describe('the limit sets', () => {
  it('default to 30/240/300/100 bytes for a group (docs/protocol.md §3)', () => {
    expect(DEFAULT_GROUP_LIMITS).toEqual({ Name: 30, Introduction: 240, Notification: 300, FaceUrl: 100 });
  });

  it('offer the newer Web SDK set 100/400/400/500 as an option', () => {
    expect(NEWER_GROUP_LIMITS).toEqual({ Name: 100, Introduction: 400, Notification: 400, FaceUrl: 500 });
  });

  it('give a topic 30/240/300/100 and 3000 bytes of CustomString', () => {
    expect(TOPIC_LIMITS).toEqual({
      TopicName: 30,
      Introduction: 240,
      Notification: 300,
      FaceUrl: 100,
      CustomString: 3000,
    });
  });

  it('allow 10 custom fields with keys of 16 bytes and values of 512 bytes', () => {
    expect(CUSTOM_FIELD_LIMITS).toEqual({ maxFields: 10, keyBytes: 16, valueBytes: 512 });
  });

  it('cannot be changed by a caller', () => {
    expect(Object.isFrozen(DEFAULT_GROUP_LIMITS)).toBe(true);
    expect(Object.isFrozen(TOPIC_LIMITS)).toBe(true);
  });
});

describe('findLimitViolations', () => {
  it('finds nothing in values at their limits', () => {
    const values = {
      Name: '群'.repeat(10),
      Introduction: 'i'.repeat(240),
      Notification: 'n'.repeat(300),
      FaceUrl: 'f'.repeat(100),
    };
    expect(findLimitViolations(values, DEFAULT_GROUP_LIMITS)).toEqual([]);
  });

  it('reports every field one byte over its limit, with its byte count', () => {
    const values = {
      Name: `${'群'.repeat(10)}a`,
      Introduction: 'i'.repeat(241),
      Notification: 'n'.repeat(301),
      FaceUrl: 'f'.repeat(101),
    };
    expect(findLimitViolations(values, DEFAULT_GROUP_LIMITS)).toEqual([
      { field: 'Name', bytes: 31, limit: 30 },
      { field: 'Introduction', bytes: 241, limit: 240 },
      { field: 'Notification', bytes: 301, limit: 300 },
      { field: 'FaceUrl', bytes: 101, limit: 100 },
    ]);
  });

  it('counts bytes, not characters: 11 CJK characters break a 30-byte name', () => {
    expect(findLimitViolations({ Name: '群'.repeat(11) }, DEFAULT_GROUP_LIMITS)).toEqual([
      { field: 'Name', bytes: 33, limit: 30 },
    ]);
  });

  it('accepts under the newer set what breaks the default one', () => {
    const values = { Name: 'n'.repeat(31) };
    expect(findLimitViolations(values, DEFAULT_GROUP_LIMITS)).toHaveLength(1);
    expect(findLimitViolations(values, NEWER_GROUP_LIMITS)).toEqual([]);
  });

  it('checks topic fields by their own names', () => {
    const values = { TopicName: 't'.repeat(31), CustomString: 'c'.repeat(3001), Name: 'x'.repeat(1000) };
    expect(findLimitViolations(values, TOPIC_LIMITS)).toEqual([
      { field: 'TopicName', bytes: 31, limit: 30 },
      { field: 'CustomString', bytes: 3001, limit: 3000 },
    ]);
  });

  it('skips fields that are absent or not strings, and fields without a limit', () => {
    const values = { Name: 42, Introduction: undefined, MaxMemberNum: 'x'.repeat(1000) };
    expect(findLimitViolations(values, DEFAULT_GROUP_LIMITS)).toEqual([]);
  });
});

describe('isValidCustomFieldKey', () => {
  it('accepts 1 to 16 letters, digits and underscores', () => {
    for (const key of ['a', 'UserDefinedKey1', 'x_1', '_', '1234567890123456', 'ABCDEFGHIJKLMNOP']) {
      expect(isValidCustomFieldKey(key), key).toBe(true);
    }
  });

  it('refuses an empty key, a key over 16 bytes, and any other character', () => {
    for (const key of ['', 'a'.repeat(17), 'user-key', 'user key', 'key.1', 'clé', '键', 'a\n', '😀']) {
      expect(isValidCustomFieldKey(key), JSON.stringify(key)).toBe(false);
    }
  });
});
