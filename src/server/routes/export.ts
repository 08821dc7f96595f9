import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChangeLog, RecordedEvent } from '../../store/index.js';
import { readEventQuery } from '../api-params.js';
import { ApiError } from '../http.js';
import { readSearchFilters } from '../search-params.js';

const PAGE = 500;

/** The CSV columns: one row per field that changed (an event with no diff has one row, `field` empty). */
export const CSV_COLUMNS = [
  'seq',
  'received_at',
  'event_time',
  'command',
  'kind',
  'group_id',
  'topic_id',
  'group_type',
  'operator',
  'opt_platform',
  'client_ip',
  'field',
  'from',
  'to',
  'superseded',
] as const;

/**
 * One CSV cell (RFC 4180). Every profile field is attacker-controlled: a cell a spreadsheet would
 * read as a formula (`=`, `+`, `-`, `@`, or a leading tab or CR) gets a `'` in front (OWASP "CSV
 * injection"), then the cell is quoted when it holds a quote, a comma or a line break.
 */
export function csvCell(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The CSV rows of one event, each ending in CRLF. */
export function csvRows(event: RecordedEvent): string {
  const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());
  const head = [
    event.seq,
    iso(event.receivedAt),
    iso(event.eventTime),
    event.command,
    event.kind,
    event.groupId,
    event.topicId,
    event.groupType,
    event.operator,
    event.optPlatform,
    event.clientIp,
  ];
  const superseded = event.superseded?.join(' ') ?? '';
  const diffs = event.diff.length > 0 ? event.diff : [null];
  return diffs
    .map((diff) =>
      [...head, diff?.field, diff?.from, diff?.to, superseded].map((cell) => csvCell(cell)).join(','),
    )
    .map((row) => `${row}\r\n`)
    .join('');
}

/**
 * `GET /api/export?format=csv|jsonl&<the filters of /api/events>`: the whole filtered history as a
 * download, oldest first (or `order=desc`), streamed page by page as the client reads it. JSON lines
 * hold the recorded events exactly as the API returns them; CSV has one row per changed field.
 */
export async function serveExport(
  deps: { log: ChangeLog },
  req: IncomingMessage,
  res: ServerResponse,
  params: URLSearchParams,
): Promise<void> {
  const format = params.get('format') ?? 'csv';
  if (format !== 'csv' && format !== 'jsonl') {
    throw new ApiError(400, 'bad_parameter', 'format must be csv or jsonl');
  }
  const query = readSearchFilters(params, readEventQuery(params, { order: 'asc' }));
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  res.writeHead(200, {
    'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    'content-disposition': `attachment; filename="timhook-changes-${stamp}.${format}"`,
    'cache-control': 'no-store',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  // A BOM, so that spreadsheets read the UTF-8 (group names are often Chinese) as UTF-8.
  if (format === 'csv') res.write(`\ufeff${CSV_COLUMNS.join(',')}\r\n`);
  const desc = query.order === 'desc';
  let cursor: number | undefined = desc ? query.before : query.after;
  for (;;) {
    const { after: _a, before: _b, ...filter } = query;
    const page = await deps.log.listEvents({
      ...filter,
      limit: PAGE,
      ...(cursor === undefined ? {} : desc ? { before: cursor } : { after: cursor }),
    });
    if (closed) return;
    const text = page.events
      .map((event) => (format === 'csv' ? csvRows(event) : `${JSON.stringify(event)}\n`))
      .join('');
    if (!res.write(text)) {
      await new Promise<void>((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    }
    if (page.next === null || closed) break;
    cursor = page.next;
  }
  res.end();
}
