import { expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { CallbackAnswer, FieldDiff, FieldState, ProfileChange } from '../../src/protocol/index.js';
import type { SinkStatus } from '../../src/relay/index.js';
import type { PassState } from '../../src/server/index.js';
import type { Refusal } from '../../src/server/recent-refusals.js';
import type * as answers from '../../src/server/openapi/answers.js';
import type { DeadLetter, RecordedEvent } from '../../src/store/index.js';

it('gives the answer schemas the types the code answers with', () => {
  expectTypeOf<z.output<typeof answers.FieldDiffSchema>>().toEqualTypeOf<FieldDiff>();
  expectTypeOf<z.output<typeof answers.ProfileChangeSchema>>().toEqualTypeOf<ProfileChange>();
  expectTypeOf<z.output<typeof answers.FieldStateSchema>>().toEqualTypeOf<FieldState>();
  expectTypeOf<z.output<typeof answers.SinkStatusSchema>>().toEqualTypeOf<SinkStatus>();
  expectTypeOf<z.output<typeof answers.DeadLetterSchema>>().toEqualTypeOf<DeadLetter>();
  expectTypeOf<z.output<typeof answers.RefusalSchema>>().toEqualTypeOf<Refusal>();
  expectTypeOf<z.output<typeof answers.ReconcilePassSchema>>().toEqualTypeOf<PassState>();
  expectTypeOf<z.output<typeof answers.CallbackAnswerSchema>>().toEqualTypeOf<CallbackAnswer>();
  // `raw` is any JSON object in the schema, `unknown` in the type.
  expectTypeOf<Omit<z.output<typeof answers.RecordedEventSchema>, 'raw'>>().toEqualTypeOf<
    Omit<RecordedEvent, 'raw'>
  >();
});
