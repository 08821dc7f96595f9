import { describe, expect, it } from 'vitest';
import { failAnswer, OK_ANSWER, OK_ANSWER_JSON } from '../../src/protocol/envelope.js';
import { readSeedJson } from '../fixtures/seeds.js';

describe('the answer envelope', () => {
  it('is, when OK, the sample response of the seeds', () => {
    expect(OK_ANSWER).toEqual(readSeedJson('answer'));
    expect(JSON.parse(OK_ANSWER_JSON)).toEqual(readSeedJson('answer'));
  });

  it('is written, when OK, as compact JSON in the documented field order', () => {
    expect(OK_ANSWER_JSON).toBe('{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}');
  });

  it('cannot be changed by a caller', () => {
    expect(Object.isFrozen(OK_ANSWER)).toBe(true);
  });

  it('carries a refusal as FAIL with its code and reason', () => {
    expect(failAnswer(60006, 'SdkAppid does not match')).toEqual({
      ActionStatus: 'FAIL',
      ErrorInfo: 'SdkAppid does not match',
      ErrorCode: 60006,
    });
  });
});
