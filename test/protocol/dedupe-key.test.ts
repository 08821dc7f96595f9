import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dedupeKey } from '../../src/protocol/dedupe-key.js';
import { readSeed } from '../fixtures/seeds.js';

const APP = '1400000000';
const COMMAND = 'Group.CallbackAfterGroupInfoChanged';

describe('dedupeKey', () => {
  it('is the SHA-256 hex of the app id, the command and the raw body, one per line', () => {
    const body = readSeed('group-info-changed-basic');
    const expected = createHash('sha256').update(`${APP}\n${COMMAND}\n${body}`, 'utf8').digest('hex');
    expect(dedupeKey(APP, COMMAND, body)).toBe(expected);
  });

  it('gives the same key for the same body delivered twice', () => {
    const body = readSeed('group-info-changed-both');
    expect(dedupeKey(APP, COMMAND, body)).toBe(dedupeKey(APP, COMMAND, readSeed('group-info-changed-both')));
  });

  it('gives another key for another body, even one that differs only in whitespace', () => {
    const body = readSeed('group-info-changed-basic');
    const keys = new Set([
      dedupeKey(APP, COMMAND, body),
      dedupeKey(APP, COMMAND, readSeed('group-info-changed-custom')),
      dedupeKey(APP, COMMAND, body.replace('\n}', '}')),
    ]);
    expect(keys.size).toBe(3);
  });

  it('gives another key for another command or another app', () => {
    const body = readSeed('topic-info-changed');
    const keys = new Set([
      dedupeKey(APP, 'Group.CallbackAfterTopicInfoChanged', body),
      dedupeKey(APP, COMMAND, body),
      dedupeKey('1400000001', 'Group.CallbackAfterTopicInfoChanged', body),
    ]);
    expect(keys.size).toBe(3);
  });

  it('cannot be made equal by moving text between the app id, the command and the body', () => {
    expect(dedupeKey('1', 'ab', 'c')).not.toBe(dedupeKey('1a', 'b', 'c'));
    expect(dedupeKey('1', 'a', 'bc')).not.toBe(dedupeKey('1', 'ab', 'c'));
  });

  it('hashes the body as UTF-8 text', () => {
    const body = '{"Name":"群名😀"}';
    const expected = createHash('sha256').update(`${APP}\n${COMMAND}\n${body}`, 'utf8').digest('hex');
    expect(dedupeKey(APP, COMMAND, body)).toBe(expected);
  });
});
