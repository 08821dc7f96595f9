import type { EventQuery } from './change-log.js';
import { buildEventFilter } from './event-filter.js';
import { toStorableText } from './postgres-text.js';

/** A SELECT of events in PostgreSQL's numbered-placeholder style, with its parameters. */
export interface PostgresEventSelect {
  text: string;
  params: Array<string | number>;
}

/**
 * Builds the SELECT of `columns` for the events `query` picks, one more than its limit (to tell
 * whether a next page exists). The filter is the one every store shares (`buildEventFilter`), so
 * its semantics cannot drift from SQLite's; only its `?` placeholders become `$1`, `$2`, … (the
 * shared text has no `?` other than placeholders).
 */
export function buildEventSelect(columns: string, query: EventQuery): PostgresEventSelect {
  const filter = buildEventFilter(query);
  let count = 0;
  const where = filter.where.replace(/\?/g, () => `$${++count}`);
  return {
    text: `SELECT ${columns} FROM events ${where} ORDER BY seq ${filter.order} LIMIT $${count + 1}`,
    // Looked up as it was written (postgres-text.ts).
    params: [
      ...(filter.params as Array<string | number>).map((value) =>
        typeof value === 'string' ? toStorableText(value) : value,
      ),
      query.limit + 1,
    ],
  };
}
