import { describe, expect, it } from 'vitest';
import { createEmulator, type Emulator, ErrorCodes } from '../../src/emulator/index.js';
import { createRateLimiter } from '../../src/emulator/rate-limits.js';
import { callRest, failure, startEmulator } from './helpers.js';

const CREATE = 'group_open_http_svc/create_group';
const LIST = 'group_open_http_svc/get_appid_group_list';
const INFO = 'group_open_http_svc/get_group_info';
const GET_TOPIC = 'million_group_open_http_svc/get_topic';

/** An emulator whose clock moves only when the test says: no call ever waits on real time. */
async function emulatorOnClock(options: Parameters<typeof startEmulator>[0] = {}) {
  const clock = { now: Date.now() };
  const emulator = await startEmulator({ now: () => clock.now, ...options });
  return { emulator, clock };
}

async function outcomes(emulator: Emulator, command: string, body: unknown, calls: number) {
  const codes: number[] = [];
  for (let i = 0; i < calls; i++) codes.push((await callRest(emulator, command, body)).ErrorCode as number);
  return codes;
}

const OVER = ErrorCodes.RequestRateExceeded;

describe('per-API rate limits', () => {
  it('answers get_appid_group_list over 1 call per second with 60007, and again once a second has passed', async () => {
    const { emulator, clock } = await emulatorOnClock();
    expect(await callRest(emulator, LIST, {})).toMatchObject({ ActionStatus: 'OK' });
    const refused = await callRest(emulator, LIST, {});
    expect(refused).toEqual(failure(OVER));
    expect(refused.ErrorInfo).toMatch(/get_appid_group_list.*1 times per second/);
    clock.now += 500;
    expect(await callRest(emulator, LIST, {})).toEqual(failure(OVER));
    clock.now += 500;
    expect(await callRest(emulator, LIST, {})).toMatchObject({ ActionStatus: 'OK' });
  });

  it('takes 200 get_group_info calls in one second and refuses the 201st', async () => {
    const { emulator } = await emulatorOnClock();
    const { GroupId } = await callRest(emulator, CREATE, { Type: 'Public', Name: 'a' });
    const codes = await outcomes(emulator, INFO, { GroupIdList: [GroupId] }, 201);
    expect(codes.slice(0, 200).every((code) => code === 0)).toBe(true);
    expect(codes[200]).toBe(OVER);
  });

  it('keeps one bucket per API: using one up leaves the others, and unlisted APIs have no limit', async () => {
    const { emulator } = await emulatorOnClock({ rateLimits: { get_topic: 2 } });
    const { GroupId } = await callRest(emulator, CREATE, { Type: 'Community', Name: 'c', SupportTopic: 1 });
    expect(await outcomes(emulator, GET_TOPIC, { GroupId }, 3)).toEqual([0, 0, OVER]);
    expect(await outcomes(emulator, LIST, {}, 2)).toEqual([0, OVER]);
    expect((await callRest(emulator, INFO, { GroupIdList: [GroupId] })).ErrorCode).toBe(0);
    expect(await outcomes(emulator, CREATE, { Type: 'Public', Name: 'b' }, 5)).toEqual([0, 0, 0, 0, 0]);
  });

  it('counts a refused call only after the caller is authenticated', async () => {
    const { emulator } = await emulatorOnClock();
    const bad = await callRest(emulator, LIST, {}, { usersig: 'not-a-sig' });
    expect(bad.ErrorCode).not.toBe(OVER);
    expect((await callRest(emulator, LIST, {})).ErrorCode).toBe(0);
  });

  it('serves without limits when rateLimits is off, or one API when its limit is off', async () => {
    const off = (await emulatorOnClock({ rateLimits: 'off' })).emulator;
    expect(await outcomes(off, LIST, {}, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(off.config().rateLimits).toEqual({});
    const one = (await emulatorOnClock({ rateLimits: { get_appid_group_list: 'off' } })).emulator;
    expect(await outcomes(one, LIST, {}, 3)).toEqual([0, 0, 0]);
    expect(one.config().rateLimits).toEqual({
      'group_open_http_svc/get_group_info': 200,
      'million_group_open_http_svc/get_topic': 200,
    });
  });

  it('changes limits while running through PUT /emulator/config, full or short command names', async () => {
    const { emulator, clock } = await emulatorOnClock();
    const put = await fetch(`${emulator.url}/emulator/config`, {
      method: 'PUT',
      body: JSON.stringify({ rateLimits: { 'group_open_http_svc/get_appid_group_list': 3 } }),
    });
    expect(((await put.json()) as { rateLimits: unknown }).rateLimits).toMatchObject({
      'group_open_http_svc/get_appid_group_list': 3,
    });
    expect(await outcomes(emulator, LIST, {}, 4)).toEqual([0, 0, 0, OVER]);
    emulator.configure({ rateLimits: 'off' });
    expect(await outcomes(emulator, LIST, {}, 2)).toEqual([0, 0]);
    emulator.configure({ rateLimits: 'default' });
    clock.now += 1000;
    expect(await outcomes(emulator, LIST, {}, 2)).toEqual([0, OVER]);
  });

  it('refuses a limit for an unknown command, or a limit that is not a positive number', async () => {
    expect(() => createEmulator({ rateLimits: { get_everything: 1 } })).toThrow(/not a REST command/);
    expect(() => createEmulator({ rateLimits: { get_group_info: 0 } })).toThrow(TypeError);
    const emulator = await startEmulator();
    const put = await fetch(`${emulator.url}/emulator/config`, {
      method: 'PUT',
      body: JSON.stringify({ rateLimits: { get_topic: -1 } }),
    });
    expect(put.status).toBe(400);
  });
});

describe('createRateLimiter', () => {
  it('holds one second of calls and gives tokens back in proportion to the time passed', () => {
    const limiter = createRateLimiter();
    const at = (ms: number) => limiter.take('x', 4, ms);
    expect([at(0), at(0), at(0), at(0), at(0)]).toEqual([true, true, true, true, false]);
    expect(at(250)).toBe(true);
    expect(at(250)).toBe(false);
    // Ten idle seconds refill only one second's worth.
    expect([at(10_250), at(10_250), at(10_250), at(10_250), at(10_250)]).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it('takes a call up to 5% of an interval early, and makes the next one wait for the borrowed share', () => {
    const limiter = createRateLimiter();
    expect(limiter.take('x', 1, 0)).toBe(true);
    expect(limiter.take('x', 1, 940)).toBe(false);
    expect(limiter.take('x', 1, 960)).toBe(true);
    // 0.96 s after the previous call, the borrowed 0.04 still has to be paid back.
    expect(limiter.take('x', 1, 1_920)).toBe(false);
    expect(limiter.take('x', 1, 1_990)).toBe(true);
  });

  it('refills nothing when the clock steps back, and starts a bucket full when its limit changes', () => {
    const limiter = createRateLimiter();
    expect(limiter.take('x', 1, 5_000)).toBe(true);
    expect(limiter.take('x', 1, 1_000)).toBe(false);
    expect(limiter.take('x', 2, 1_000)).toBe(true);
    expect(limiter.take('x', 2, 1_000)).toBe(true);
    expect(limiter.take('x', 2, 1_000)).toBe(false);
  });
});
