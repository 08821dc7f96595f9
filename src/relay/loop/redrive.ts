import { toRelayMessage } from '../message.js';
import { readEventsBySeq } from '../read-batch.js';
import { deliverWindow } from './deliver.js';
import { checkpoint, settleWindow } from './progress.js';
import type { SinkLoop } from './state.js';

/**
 * Sends again up to `batchSize` dead letters an operator asked to re-drive, then writes what went
 * and re-reads the stored state (what is left to re-drive). The cursor does not move.
 */
export async function redriveRound(loop: SinkLoop): Promise<void> {
  const { store, name, settings } = loop;
  const letters = await store.listDeadLetters(name, { redrive: true, limit: settings.batchSize });
  if (letters.length > 0) {
    const events = await readEventsBySeq(
      loop.log,
      letters.map((letter) => letter.seq),
    );
    const found = new Set(events.map((event) => event.seq));
    // A letter whose event is not in the log any more has nothing to send: drop it.
    loop.pending.redriven.push(...letters.filter((letter) => !found.has(letter.seq)).map((l) => l.seq));
    const sdkAppId = events[0] ? await loop.sdkAppIdOf(events[0].seq) : '';
    const result = await deliverWindow(
      loop,
      events.map((event) => toRelayMessage(event, settings.payload, sdkAppId)),
    );
    if (result.superseded) return;
    settleWindow(loop, result, loop.cursor, true);
    if (result.gone !== null) {
      await disableSink(loop, result.gone);
      return;
    }
  }
  await checkpoint(loop, true);
  loop.refreshWanted = true; // re-read what is left to re-drive
}

/** The endpoint said it is gone (HTTP 410): writes the progress, then disables the sink. */
export async function disableSink(loop: SinkLoop, reason: string): Promise<void> {
  await checkpoint(loop, true);
  await loop.store.setDisabled(loop.name, reason, loop.now());
  loop.logger.warn('relay: sink disabled itself; enable it again with `timhook relay enable`', {
    sink: loop.name,
    reason,
  });
  loop.refreshWanted = true;
}
