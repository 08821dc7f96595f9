import type { EventQuery } from './change-log.js';

/** A WHERE clause with its parameters, in the `?` placeholder style, and the ORDER BY. */
export interface SqlFilter {
  where: string;
  params: unknown[];
  order: 'ASC' | 'DESC';
}

/**
 * Turns an event query into SQL shared by every store (placeholders are `?`; a store that numbers
 * them rewrites). Column names are fixed here; values only ever travel as parameters.
 */
export function buildEventFilter(query: EventQuery): SqlFilter {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const desc = query.order === 'desc' || (query.order === undefined && query.before !== undefined);
  if (query.after !== undefined) {
    clauses.push('seq > ?');
    params.push(query.after);
  }
  if (query.before !== undefined) {
    clauses.push('seq < ?');
    params.push(query.before);
  }
  const equal: Array<[string, unknown]> = [
    ['group_id', query.groupId],
    ['topic_id', query.topicId],
    ['command', query.command],
    ['operator', query.operator],
    ['kind', query.kind],
    ['opt_platform', query.optPlatform],
  ];
  for (const [column, value] of equal) {
    if (value === undefined) continue;
    clauses.push(`${column} = ?`);
    params.push(value);
  }
  if (query.since !== undefined) {
    clauses.push('received_at >= ?');
    params.push(query.since);
  }
  if (query.until !== undefined) {
    clauses.push('received_at <= ?');
    params.push(query.until);
  }
  return {
    where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '',
    params,
    order: desc ? 'DESC' : 'ASC',
  };
}
