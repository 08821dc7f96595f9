import type { EventQuery } from '../change-log.js';
import { buildEventFilter, type SqlFilter } from '../event-filter.js';
import { FIELD_ROWS } from './field-rows.js';
import { toStorableText } from './text.js';
import { buildTopicDestroysFilter } from '../topic-destroys.js';

/** A SELECT of events in PostgreSQL's numbered-placeholder style, with its parameters. */
export interface PostgresEventSelect {
  text: string;
  params: Array<string | number>;
  order: 'ASC' | 'DESC';
}

/**
 * Builds the SELECT of `columns` for the events `query` picks, one more than its limit (to tell
 * whether a next page exists). The filter is the one every store shares (`buildEventFilter`), so
 * its semantics cannot drift from SQLite's, but for how a field's events are found (field-rows.ts);
 * only its `?` placeholders become `$1`, `$2`, … (the shared text has no `?` other than placeholders).
 */
export function buildEventSelect(columns: string, query: EventQuery): PostgresEventSelect {
  return toSelect(columns, buildEventFilter(query, FIELD_ROWS), query.limit + 1);
}

/**
 * For a query of one topic's events, the select of the destroys of several topics that may list it
 * (topic-destroys.ts), with no limit: the caller keeps those that do. Null when there is none to make.
 */
export function buildTopicDestroysSelect(columns: string, query: EventQuery): PostgresEventSelect | null {
  const filter = buildTopicDestroysFilter(query, FIELD_ROWS);
  return filter ? toSelect(columns, filter, null) : null;
}

function toSelect(columns: string, filter: SqlFilter, limit: number | null): PostgresEventSelect {
  let count = 0;
  const where = filter.where.replace(/\?/g, () => `$${++count}`);
  // Looked up as it was written (postgres/text.ts).
  const params = (filter.params as Array<string | number>).map((value) =>
    typeof value === 'string' ? toStorableText(value) : value,
  );
  const text = `SELECT ${columns} FROM events ${where} ORDER BY seq ${filter.order}`;
  if (limit === null) return { text, params, order: filter.order };
  return { text: `${text} LIMIT $${count + 1}`, params: [...params, limit], order: filter.order };
}
