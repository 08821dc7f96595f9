import { isDeadLocalOwner } from '../lease-owner.js';
import { emptyPending } from './progress.js';
import type { SinkLoop } from './state.js';

/**
 * Renews the sink's lease, every `pollMs` or at once when an operator action asks
 * (`refreshWanted`), and takes in what is stored: a first hold, or a new epoch (an operator moved
 * the cursor), restarts from the stored cursor. A lease held by a dead process of this host is
 * taken over. Resolves false when another instance holds the sink: the loop stands by.
 */
export async function syncLease(loop: SinkLoop): Promise<boolean> {
  const { store, name, owner, runtime } = loop;
  const { pollMs, leaseTtlMs } = loop.timing;
  if (!loop.refreshWanted && loop.claim && loop.now() - loop.renewedAt < pollMs) return true;
  loop.refreshWanted = false;
  let granted = await store.acquireLease(name, owner, leaseTtlMs);
  if (!granted) {
    const holder = (await store.getSink(name))?.leaseOwner ?? null;
    if (holder && isDeadLocalOwner(holder))
      granted = await store.acquireLease(name, owner, leaseTtlMs, holder);
  }
  loop.renewedAt = loop.now();
  if (!granted) {
    if (loop.claim) loop.logger.info('relay: another instance delivers this sink now', { sink: name });
    loop.claim = null;
    loop.pending = emptyPending();
    runtime.cursor = null;
    runtime.phase = 'standby';
    return false;
  }
  if (!loop.claim || granted.epoch !== loop.claim.epoch) {
    // First hold, or an operator moved things: restart from what is stored.
    loop.cursor = granted.cursor;
    loop.pending = emptyPending();
    loop.ahead.drop();
  }
  loop.claim = granted;
  runtime.cursor = loop.cursor;
  return true;
}
