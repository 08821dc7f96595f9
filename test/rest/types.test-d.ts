import { describe, expectTypeOf, it } from 'vitest';
import type { GroupInfoResult, RestError, RestErrorKind, TopicInfoResult } from '../../src/rest/index.js';

describe('REST result types', () => {
  it('narrow a group result on `found`: a profile when found, an ErrorCode when not', () => {
    const result = {} as GroupInfoResult;
    if (result.found) {
      expectTypeOf(result.profile.Name).toEqualTypeOf<string | undefined>();
      expectTypeOf(result.profile.customFields).toEqualTypeOf<Record<string, string> | undefined>();
      expectTypeOf(result.type).toEqualTypeOf<string | null>();
      // @ts-expect-error a found group has no ErrorCode
      void result.errorCode;
    } else {
      expectTypeOf(result.errorCode).toEqualTypeOf<number>();
      expectTypeOf(result.gone).toEqualTypeOf<boolean>();
      // @ts-expect-error a missing group has no profile
      void result.profile;
    }
  });

  it('narrow a topic result on `found`', () => {
    const result = {} as TopicInfoResult;
    if (result.found) expectTypeOf(result.customString).toEqualTypeOf<string | null>();
    else expectTypeOf(result.topicId).toEqualTypeOf<string>();
  });

  it('give a RestError its kind, code and info', () => {
    const error = {} as RestError;
    expectTypeOf(error.kind).toEqualTypeOf<RestErrorKind>();
    expectTypeOf(error.errorCode).toEqualTypeOf<number>();
    expectTypeOf(error.errorInfo).toEqualTypeOf<string>();
    expectTypeOf(error.fatal).toEqualTypeOf<boolean>();
  });
});
