import type { ChangeLog, RenderedEvent } from '../store/index.js';
import { toRelayMessage } from './message.js';
import type { RelayMessage } from './sink.js';
import { matchesSinkFilter, type SinkSettings } from './sink-config.js';

/** A batch read from the log: the messages to send, and the last seq read (null: nothing new). */
export interface Batch {
  messages: RelayMessage[];
  through: number | null;
  /** The read filled `batchSize`: more is waiting in the log. */
  full: boolean;
}

/**
 * Reads one batch of events after `after` and builds the messages of those the sink's filter lets
 * through. The bodies are the log's rendered text, as they are (no parsing, no serializing).
 */
export async function readBatch(
  log: ChangeLog,
  settings: Pick<SinkSettings, 'batchSize' | 'filter' | 'payload' | 'rest'>,
  sdkAppIdOf: (seq: number) => Promise<string>,
  after: number,
): Promise<Batch> {
  const page = await log.listRendered({ after, limit: settings.batchSize, order: 'asc' });
  const { events } = page;
  const messages: RelayMessage[] = [];
  if (events.length > 0) {
    const sdkAppId = await sdkAppIdOf(events[0]!.seq);
    for (const event of events) {
      // The recorder's own entries from the REST API are the commands under `timhook.`.
      if (!settings.rest && event.command.startsWith('timhook.')) continue;
      if (matchesSinkFilter(settings.filter, event))
        messages.push(toRelayMessage(event, settings.payload, sdkAppId));
    }
  }
  const last = events[events.length - 1];
  return { messages, through: last ? last.seq : null, full: events.length === settings.batchSize };
}

/** Reads the events of `seqs` (ascending) from the log, a range at a time (dead letters to re-drive). */
export async function readEventsBySeq(log: ChangeLog, seqs: readonly number[]): Promise<RenderedEvent[]> {
  const events: RenderedEvent[] = [];
  for (let i = 0; i < seqs.length;) {
    const first = seqs[i]!;
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1]! - first < 1000) j++;
    const wanted = new Set(seqs.slice(i, j + 1));
    const page = await log.listRendered({ after: first - 1, limit: seqs[j]! - first + 1, order: 'asc' });
    events.push(...page.events.filter((event) => wanted.has(event.seq)));
    i = j + 1;
  }
  return events;
}
