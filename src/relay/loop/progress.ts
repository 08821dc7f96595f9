import type { DeadLetter } from '../../store/index.js';
import type { WindowResult } from '../deliver-window.js';
import type { SinkLoop } from './state.js';

/** Progress made since the last checkpoint, written with the cursor. */
export interface Pending {
  delivered: number;
  deliveredAt: number | null;
  deadLetters: DeadLetter[];
  /** Dead letters re-driven (delivered, or with no event any more): removed at the checkpoint. */
  redriven: number[];
}

export function emptyPending(): Pending {
  return { delivered: 0, deliveredAt: null, deadLetters: [], redriven: [] };
}

/**
 * Takes a window's result into the pending progress; the new cursor is `through` when all went.
 * A re-drive moves no cursor: it removes the letters it delivered.
 */
export function settleWindow(
  loop: SinkLoop,
  result: WindowResult,
  through: number,
  redriving: boolean,
): void {
  const { pending } = loop;
  // With something left (stopped, gone) the cursor stops before it; later ones are sent again.
  const stopAt = result.remaining.length > 0 ? Math.min(...result.remaining.map((m) => m.seq)) : null;
  const kept = (seq: number) => redriving || stopAt === null || seq < stopAt;
  const delivered = result.delivered.filter((m) => kept(m.seq));
  pending.delivered += delivered.length;
  if (delivered.length > 0) pending.deliveredAt = loop.now();
  pending.deadLetters.push(...result.deadLetters.filter((letter) => kept(letter.seq)));
  if (redriving) pending.redriven.push(...delivered.map((m) => m.seq));
  else loop.cursor = stopAt === null ? through : stopAt - 1;
  loop.runtime.cursor = loop.cursor;
}

/**
 * Writes the cursor and dead letters when due (always with `force`), if still entitled to: the
 * store refuses the write when an operator action or another instance intervened (epoch, lease),
 * and the loop then re-reads the stored state. Resolves true when progress is left unwritten (not
 * due yet).
 */
export async function checkpoint(loop: SinkLoop, force: boolean): Promise<boolean> {
  const { claim, pending, cursor } = loop;
  if (!claim) return false;
  const dirty =
    cursor !== claim.cursor ||
    pending.delivered > 0 ||
    pending.deadLetters.length > 0 ||
    pending.redriven.length > 0;
  if (!dirty) return false;
  if (!force && loop.now() - loop.checkpointedAt < loop.timing.checkpointMs) return true;
  const written = await loop.store.commitProgress(
    loop.name,
    { epoch: claim.epoch, owner: loop.owner },
    { cursor, ...pending },
  );
  loop.checkpointedAt = loop.now();
  loop.pending = emptyPending();
  if (written) {
    loop.claim = { ...claim, cursor };
  } else {
    loop.claim = null; // an operator action or another instance: re-read before going on
    loop.refreshWanted = true;
  }
  return false;
}
