import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeadLetter, RelayState } from '../../src/store/index.js';

const letter = (seq: number, overrides: Partial<DeadLetter> = {}): DeadLetter => ({
  seq,
  attempts: 3,
  error: `HTTP 500 for ${seq}`,
  firstFailedAt: 1_000 + seq,
  failedAt: 2_000 + seq,
  redrive: false,
  ...overrides,
});

const noProgress = { delivered: 0, deliveredAt: null, deadLetters: [], redriven: [] };

/**
 * The contract every {@link RelayState} keeps (SQLite now, PostgreSQL next). `open` gives a new,
 * empty state on each call; the suite closes it after each test.
 *
 * @example describeRelayStateContract('SQLite', async () => openSqliteRelayState({ path }));
 */
export function describeRelayStateContract(name: string, open: () => Promise<RelayState>): void {
  describe(`the RelayState contract (${name})`, () => {
    let state: RelayState;
    beforeEach(async () => {
      state = await open();
    });
    afterEach(async () => {
      await state.close();
    });

    it('creates a sink at its initial cursor once, and keeps it as it is afterwards', async () => {
      expect(await state.getSink('orders')).toBeNull();
      const created = await state.ensureSink('orders', 42);
      expect(created).toMatchObject({
        sink: 'orders',
        cursor: 42,
        disabledAt: null,
        lastError: null,
        delivered: 0,
        deadLetters: 0,
        redrivePending: 0,
        leaseOwner: null,
      });
      expect(await state.ensureSink('orders', 0)).toEqual(created);
      await state.ensureSink('audit', 0);
      expect((await state.listSinks()).map((s) => s.sink)).toEqual(['audit', 'orders']);
    });

    it('grants a lease to one owner at a time, to the next once released, expired, or its holder is evicted', async () => {
      await state.ensureSink('s', 0);
      expect(await state.acquireLease('s', 'a', 60_000)).toMatchObject({ leaseOwner: 'a' });
      expect(await state.acquireLease('s', 'b', 60_000)).toBeNull();
      expect(await state.acquireLease('s', 'a', 60_000)).toMatchObject({ leaseOwner: 'a' }); // renewal
      expect(await state.acquireLease('s', 'b', 60_000, 'someone-else')).toBeNull();
      expect(await state.acquireLease('s', 'b', 60_000, 'a')).toMatchObject({ leaseOwner: 'b' });
      await state.releaseLease('s', 'a'); // not the holder: nothing happens
      expect((await state.getSink('s'))!.leaseOwner).toBe('b');
      await state.releaseLease('s', 'b');
      expect(await state.acquireLease('s', 'c', -1)).toMatchObject({ leaseOwner: 'c' }); // already expired
      expect(await state.acquireLease('s', 'd', 60_000)).toMatchObject({ leaseOwner: 'd' });
    });

    it('writes progress only for the lease holder, and only while no operator action intervened', async () => {
      await state.ensureSink('s', 0);
      const held = (await state.acquireLease('s', 'a', 60_000))!;
      const claim = { epoch: held.epoch, owner: 'a' };
      expect(
        await state.commitProgress('s', claim, {
          ...noProgress,
          cursor: 10,
          delivered: 9,
          deliveredAt: 5_000,
        }),
      ).toBe(true);
      expect(await state.getSink('s')).toMatchObject({ cursor: 10, delivered: 9, lastDeliveredAt: 5_000 });

      expect(await state.commitProgress('s', { ...claim, owner: 'b' }, { ...noProgress, cursor: 20 })).toBe(
        false,
      );
      const replayed = (await state.setCursor('s', 3))!;
      expect(replayed.cursor).toBe(3);
      expect(replayed.epoch).not.toBe(held.epoch);
      expect(
        await state.commitProgress('s', claim, { ...noProgress, cursor: 20, deadLetters: [letter(15)] }),
      ).toBe(false);
      expect(await state.getSink('s')).toMatchObject({ cursor: 3, delivered: 9, deadLetters: 0 });
      expect(
        await state.commitProgress('s', { epoch: replayed.epoch, owner: 'a' }, { ...noProgress, cursor: 4 }),
      ).toBe(true);
    });

    it('keeps dead letters oldest first, re-drives them on request, and forgets the ones delivered', async () => {
      await state.ensureSink('s', 0);
      let held = (await state.acquireLease('s', 'a', 60_000))!;
      const letters = [letter(3), letter(5), letter(9)];
      await state.commitProgress(
        's',
        { epoch: held.epoch, owner: 'a' },
        { ...noProgress, cursor: 10, deadLetters: letters },
      );
      expect(await state.listDeadLetters('s', { limit: 10 })).toEqual(letters);
      expect(await state.listDeadLetters('s', { after: 3, limit: 1 })).toEqual([letter(5)]);
      expect(await state.listDeadLetters('s', { limit: 10, redrive: true })).toEqual([]);

      expect(await state.redrive('s')).toBe(3);
      held = (await state.getSink('s'))!;
      expect(held).toMatchObject({ deadLetters: 3, redrivePending: 3 });
      expect((await state.listDeadLetters('s', { limit: 10, redrive: true })).map((l) => l.seq)).toEqual([
        3, 5, 9,
      ]);

      // 3 and 9 went through; 5 failed again: it stays, with its first failure and all its attempts.
      const failedAgain = letter(5, {
        attempts: 2,
        error: 'HTTP 502',
        firstFailedAt: 7_000,
        failedAt: 8_000,
      });
      expect(
        await state.commitProgress(
          's',
          { epoch: held.epoch, owner: 'a' },
          { ...noProgress, cursor: 10, redriven: [3, 9], deadLetters: [failedAgain] },
        ),
      ).toBe(true);
      expect(await state.listDeadLetters('s', { limit: 10 })).toEqual([
        { seq: 5, attempts: 5, error: 'HTTP 502', firstFailedAt: 1_005, failedAt: 8_000, redrive: false },
      ]);
      expect(await state.getSink('s')).toMatchObject({ deadLetters: 1, redrivePending: 0 });
    });

    it('disables and enables a sink, bumping the epoch each time something changes', async () => {
      const created = await state.ensureSink('s', 0);
      const disabled = (await state.setDisabled('s', 'HTTP 410 Gone', 9_000))!;
      expect(disabled).toMatchObject({ disabledAt: 9_000, disabledReason: 'HTTP 410 Gone' });
      expect(disabled.epoch).toBeGreaterThan(created.epoch);
      const enabled = (await state.setDisabled('s', null, 10_000))!;
      expect(enabled).toMatchObject({ disabledAt: null, disabledReason: null });
      expect(enabled.epoch).toBeGreaterThan(disabled.epoch);
      expect((await state.setDisabled('s', null, 11_000))!.epoch).toBe(enabled.epoch);
    });

    it('keeps the last error with its time', async () => {
      await state.ensureSink('s', 0);
      await state.recordError('s', 'connect ECONNREFUSED', 12_000);
      expect(await state.getSink('s')).toMatchObject({
        lastError: 'connect ECONNREFUSED',
        lastErrorAt: 12_000,
      });
    });
  });
}
