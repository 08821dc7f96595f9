import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ChangeLog, isEventOfTopic, type RecordedEvent, type RenderedEvent } from '../../store/index.js';
import { readEventQuery } from '../api-params.js';
import { type EventFilter, matchesFilter } from '../event-match.js';
import { ApiError } from '../http.js';
import type { LiveHub } from '../live-hub.js';

/** What the stream needs. */
export interface StreamDeps {
  log: ChangeLog;
  hub: LiveHub;
  /** Comment frames keep proxies from closing an idle stream. Default 15000 ms. */
  heartbeatMs: number;
  /** A client whose unsent output passes this is disconnected (it resumes from its last id). */
  maxBufferedBytes: number;
  /** Open streams, so a stop can end them. */
  clients: Set<ServerResponse>;
  /** Other frames to send live (reconciliation progress): subscribes, returns the unsubscribe. */
  extraFrames?: (write: (frame: string) => void) => () => void;
}

const PAGE = 500;

/** One SSE frame; a rendered event is JSON on one line (rows.ts renderEvent), so `data` is one line. */
export function formatFrame(event: RenderedEvent): string {
  return `id: ${event.seq}\nevent: change\ndata: ${event.json}\n\n`;
}

/**
 * `GET /api/stream`: Server-Sent Events where `id:` is the log seq. It subscribes to live events
 * first, replays the log after the cursor (`Last-Event-ID`, or `?after=`; none means "from now"),
 * then goes live, skipping what the replay already sent: no gap, no duplicate.
 */
export async function serveStream(
  deps: StreamDeps,
  req: IncomingMessage,
  res: ServerResponse,
  params: URLSearchParams,
): Promise<void> {
  const query = readEventQuery(params, { order: 'asc' });
  const { after: _after, before: _before, order: _order, limit: _limit, ...filter } = query;
  const header = req.headers['last-event-id'];
  const lastEventId = Array.isArray(header) ? header[0] : header;
  if (lastEventId !== undefined && !/^\d{1,15}$/.test(lastEventId)) {
    throw new ApiError(400, 'bad_parameter', 'Last-Event-ID must be a log seq');
  }
  const pending: RenderedEvent[] = [];
  let live = false;
  let closed = false;
  let lastSent = 0;

  const send = (event: RenderedEvent, filtered: boolean) => {
    if (closed || event.seq <= lastSent || (!filtered && !matchesLive(event, filter as EventFilter))) return;
    lastSent = event.seq;
    res.write(formatFrame(event));
    if (res.writableLength > deps.maxBufferedBytes) close(true);
  };
  const unsubscribe = deps.hub.subscribe((event) => {
    if (live) send(event, false);
    else if (pending.push(event) > 10_000) close(true);
  });
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let unsubscribeExtra = () => {};
  function close(slow: boolean) {
    if (closed) return;
    closed = true;
    unsubscribe();
    unsubscribeExtra();
    clearInterval(heartbeat);
    deps.clients.delete(res);
    if (slow) res.destroy();
    else res.end();
  }
  res.on('close', () => close(false));
  deps.clients.add(res);

  const from =
    lastEventId !== undefined ? Number(lastEventId) : (query.after ?? (await deps.log.stats()).lastSeq);
  lastSent = from;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  // Started only now: a ping written before writeHead would send default headers, and writeHead
  // would then throw (a log that answers slowly, e.g. over a network).
  if (!closed) {
    heartbeat = setInterval(() => res.write(': ping\n\n'), deps.heartbeatMs);
    heartbeat.unref();
    unsubscribeExtra = deps.extraFrames?.((frame) => res.write(frame)) ?? unsubscribeExtra;
  }

  let cursor: number | null = from;
  while (cursor !== null && !closed) {
    const page = await deps.log.listRendered({ ...filter, after: cursor, order: 'asc', limit: PAGE });
    for (const event of page.events) send(event, true);
    cursor = page.next;
    if (!closed && res.writableLength > 0 && res.writableNeedDrain) {
      await new Promise<void>((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    }
  }
  live = true;
  for (const event of pending.splice(0)) send(event, false);
}

/** The stream's filters on a live event: the cheap ones on its columns, the rest on its JSON. */
function matchesLive(event: RenderedEvent, filter: EventFilter): boolean {
  if (
    (filter.groupId !== undefined && event.groupId !== filter.groupId) ||
    (filter.topicId !== undefined && !isEventOfTopic(event, filter.topicId)) ||
    (filter.command !== undefined && event.command !== filter.command) ||
    (filter.kind !== undefined && event.kind !== filter.kind)
  ) {
    return false;
  }
  if (
    filter.operator === undefined &&
    filter.optPlatform === undefined &&
    filter.since === undefined &&
    filter.until === undefined
  ) {
    return true;
  }
  return matchesFilter(JSON.parse(event.json) as RecordedEvent, filter);
}
