import { describe, expect, it } from 'vitest';
import { computeSign } from '../../src/protocol/index.js';
import { createReceiver } from '../../src/receiver/index.js';

// The receiver remembers the expected signs of the last RequestTime; these pin that the memory
// never accepts what verifySign would refuse.
describe('the remembered signs of the last RequestTime', () => {
  const appId = '1400000000';
  const t = 1_700_000_000;
  const path = (token: string, time: number | string, sign = computeSign(token, time)) =>
    `SdkAppid=${appId}&Sign=${sign}&RequestTime=${time}`;
  const body = '{"CallbackCommand":"Group.X","GroupId":"g"}';

  function receiverAt(clock: { now: number }, tokens = ['a-token', 'b-token']) {
    return createReceiver({ sdkAppId: appId, tokens, now: () => clock.now });
  }

  it('still refuse a wrong Sign for a RequestTime just accepted', async () => {
    const clock = { now: t * 1000 };
    const receiver = receiverAt(clock);
    expect((await receiver.receive({ query: path('a-token', t), rawBody: body })).status).toBe(200);
    const wrong = await receiver.receive({ query: path('other', t), rawBody: body });
    expect(wrong.answer.ErrorCode).toBe(40102);
    expect((await receiver.receive({ query: path('b-token', t), rawBody: body })).status).toBe(200);
  });

  it('still refuse a RequestTime that went stale while remembered', async () => {
    const clock = { now: t * 1000 };
    const receiver = receiverAt(clock);
    expect((await receiver.receive({ query: path('a-token', t), rawBody: body })).status).toBe(200);
    clock.now = (t + 61) * 1000;
    const stale = await receiver.receive({ query: path('a-token', t), rawBody: body });
    expect(stale.answer).toMatchObject({ ErrorCode: 40103, ErrorInfo: expect.stringContaining('61 s old') });
  });

  it('remember a time first seen with a wrong Sign, and then accept the right one', async () => {
    const clock = { now: t * 1000 };
    const receiver = receiverAt(clock);
    expect((await receiver.receive({ query: path('other', t), rawBody: body })).answer.ErrorCode).toBe(40102);
    expect((await receiver.receive({ query: path('a-token', t), rawBody: body })).status).toBe(200);
  });

  it('never remember a malformed or stale time', async () => {
    const clock = { now: t * 1000 };
    const receiver = receiverAt(clock);
    const old = t - 100;
    expect((await receiver.receive({ query: path('a-token', old), rawBody: body })).answer.ErrorCode).toBe(
      40103,
    );
    expect((await receiver.receive({ query: path('a-token', old), rawBody: body })).answer.ErrorCode).toBe(
      40103,
    );
    expect(
      (await receiver.receive({ query: path('a-token', `${t}.0`), rawBody: body })).answer.ErrorCode,
    ).toBe(40002);
  });

  it('accept the Sign in any case, as verifySign does', async () => {
    const receiver = receiverAt({ now: t * 1000 });
    const upper = computeSign('a-token', t).toUpperCase();
    expect((await receiver.receive({ query: path('a-token', t), rawBody: body })).status).toBe(200);
    expect((await receiver.receive({ query: path('a-token', t, upper), rawBody: body })).status).toBe(200);
  });
});
