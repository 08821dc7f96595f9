import type { ChangeLog, EventQuery, RenderedEvent, RenderedPage } from '../store/index.js';

/** Largest page of events the API answers, bytes of event JSON. */
export const MAX_PAGE_BYTES = 1024 * 1024;

/** Rows read first, before their size is known: small pages take one read, large events few. */
const FIRST_READ = 25;

/**
 * Reads a page of `query` that stops at `query.limit` events or at `maxBytes` of their JSON,
 * whichever comes first, and always holds at least one event. `next` pages on as the log's own does
 * (`after=next` oldest first, `before=next` newest first). The log is read in slices sized from the
 * events seen so far, so a page of large events never holds more than about `maxBytes` in memory.
 */
export async function readCappedPage(
  log: ChangeLog,
  query: EventQuery,
  maxBytes: number = MAX_PAGE_BYTES,
): Promise<RenderedPage> {
  const desc = query.order === 'desc';
  const events: RenderedEvent[] = [];
  let bytes = 0;
  let cursor = desc ? query.before : query.after;
  let slice = FIRST_READ;
  for (;;) {
    const { after: _after, before: _before, ...rest } = query;
    const page = await log.listRendered({
      ...rest,
      limit: Math.min(slice, query.limit - events.length),
      ...(cursor === undefined ? {} : desc ? { before: cursor } : { after: cursor }),
    });
    for (const event of page.events) {
      // The comma between events counts too.
      const size = Buffer.byteLength(event.json) + 1;
      if (events.length > 0 && bytes + size > maxBytes)
        return { events, next: events[events.length - 1]!.seq };
      events.push(event);
      bytes += size;
    }
    if (page.next === null || events.length >= query.limit) return { events, next: page.next };
    cursor = page.next;
    if (events.length > 0) slice = Math.max(1, Math.floor((maxBytes - bytes) / (bytes / events.length)) + 1);
  }
}
