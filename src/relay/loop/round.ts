import { deliverWindow } from './deliver.js';
import { syncLease } from './lease.js';
import { checkpoint, settleWindow } from './progress.js';
import { disableSink, redriveRound } from './redrive.js';
import { pause, readAfter, type SinkLoop } from './state.js';

/**
 * One round of a sink's loop: stand by while another instance holds the sink, wait while it is
 * disabled, re-drive dead letters when asked, else deliver the next batch after the cursor.
 */
export async function runRound(loop: SinkLoop): Promise<void> {
  await ensureSink(loop);
  if (!(await syncLease(loop))) {
    await pause(loop, loop.timing.pollMs, false);
    return;
  }
  const held = loop.claim!;
  if (held.disabledAt !== null) {
    loop.runtime.phase = 'disabled';
    await checkpoint(loop, true);
    await pause(loop, loop.timing.pollMs, false);
    return;
  }
  if (held.redrivePending > 0) {
    loop.runtime.phase = 'delivering';
    await redriveRound(loop);
    return;
  }
  await deliverNextBatch(loop);
}

/** Stores the sink's row the first time: a new sink starts at the log's start, or its end (`from`). */
async function ensureSink(loop: SinkLoop): Promise<void> {
  if (loop.ensured) return;
  const initial = loop.settings.from === 'end' ? (await loop.log.stats()).lastSeq : 0;
  await loop.store.ensureSink(loop.name, initial);
  loop.ensured = true;
}

/**
 * Delivers the batch after the cursor (read ahead, and perhaps sent ahead, during the round
 * before), reading the next ones meanwhile (read-ahead.ts); then moves the cursor past it and
 * writes it when due. Caught up, it waits for new events.
 */
async function deliverNextBatch(loop: SinkLoop): Promise<void> {
  if (loop.draining) await yieldToCallbacks(loop, Math.min(loop.timing.maxYieldMs, loop.deliveredInMs));
  const taken = await loop.ahead.take(loop.cursor);
  const batch = taken?.batch ?? (await readAfter(loop, loop.cursor));
  if (batch.through === null) {
    loop.draining = false;
    await waitCaughtUp(loop);
    return;
  }
  loop.draining = batch.full;
  loop.runtime.phase = 'delivering';
  const startedAt = loop.now();
  const delivering = deliverWindow(loop, batch.messages, taken?.sent ?? undefined);
  loop.ahead.fill(batch, delivering);
  const result = await delivering;
  loop.deliveredInMs = loop.now() - startedAt;
  if (result.superseded) return;
  settleWindow(loop, result, batch.through, false);
  if (result.gone !== null) {
    await disableSink(loop, result.gone);
    return;
  }
  await checkpoint(loop, loop.stopping);
  // Let callbacks and other sinks in between batches while a backlog drains.
  await new Promise((resolve) => setImmediate(resolve));
}

/** Nothing after the cursor: writes it when due, and waits for new events or the next poll. */
async function waitCaughtUp(loop: SinkLoop): Promise<void> {
  const { pollMs, checkpointMs } = loop.timing;
  loop.runtime.phase = 'idle';
  // Caught up, which under a steady stream is after nearly every batch: the cursor is written
  // when due, as while delivering, not at each catch-up (a write waits for the log's writer).
  const unwritten = await checkpoint(loop, false);
  await pause(loop, unwritten ? Math.min(pollMs, checkpointMs) : pollMs, true);
}

/**
 * Waits up to `ms` while the recorder's commit queue is backed up, when the last batch was full
 * (a backlog drains): the relay shares the event loop with the callback endpoint, and the log
 * keeps everything for later, so a sink never slows the callback endpoint. The wait is as long as
 * the batch before took (at most `maxYieldMs`): the callbacks get at least as much time as the
 * relay, and the relay still gets half, so a backlog shrinks under steady traffic instead of
 * growing for as long as the recorder is busy. New events go out at once: their work keeps the
 * callbacks' own pace, and holding them back would only add to their delay.
 */
async function yieldToCallbacks(loop: SinkLoop, ms: number): Promise<void> {
  const until = loop.now() + ms;
  while (loop.busy() && !loop.stopping && loop.now() < until)
    await new Promise((resolve) => setTimeout(resolve, 5));
}
