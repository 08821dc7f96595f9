import type { EventQuery } from '../store/index.js';
import { ApiError } from './http.js';

/** Largest page the API serves. */
export const MAX_LIMIT = 1000;

/** Reads a non-negative whole number parameter. */
export function readSeq(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null || value === '') return undefined;
  if (!/^\d{1,15}$/.test(value))
    throw new ApiError(400, 'bad_parameter', `${name} must be a whole number ≥ 0`);
  return Number(value);
}

/** Reads `limit`: 1 to 1000, `fallback` when absent. */
export function readLimit(params: URLSearchParams, fallback = 100): number {
  const value = readSeq(params, 'limit');
  if (value === undefined) return fallback;
  if (value < 1 || value > MAX_LIMIT)
    throw new ApiError(400, 'bad_parameter', `limit must be 1 to ${MAX_LIMIT}`);
  return value;
}

/** Reads a time: milliseconds since the epoch, or an ISO 8601 date. */
export function readTime(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null || value === '') return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new ApiError(
      400,
      'bad_parameter',
      `${name} must be milliseconds since the epoch or an ISO 8601 date`,
    );
  }
  return ms;
}

/** Reads the filters and cursor of an event query; `defaults` fixes what the route implies. */
export function readEventQuery(
  params: URLSearchParams,
  defaults: Partial<EventQuery> & { order: 'asc' | 'desc' },
): EventQuery {
  const query: EventQuery = { limit: readLimit(params), ...defaults };
  const after = readSeq(params, 'after');
  const before = readSeq(params, 'before');
  if (after !== undefined && before !== undefined) {
    throw new ApiError(400, 'bad_parameter', 'give after (oldest first) or before (newest first), not both');
  }
  const order = params.get('order');
  if (order !== null && order !== 'asc' && order !== 'desc') {
    throw new ApiError(400, 'bad_parameter', 'order must be asc or desc');
  }
  if (after !== undefined) {
    query.after = after;
    query.order = 'asc';
  } else if (before !== undefined) {
    query.before = before;
    query.order = 'desc';
  } else if (order) query.order = order;
  for (const name of ['groupId', 'topicId', 'command', 'operator', 'optPlatform'] as const) {
    const value = params.get(name);
    if (value !== null && value !== '' && defaults[name] === undefined) query[name] = value;
  }
  const kind = params.get('kind');
  if (kind !== null && kind !== '') {
    if (kind !== 'group' && kind !== 'topic')
      throw new ApiError(400, 'bad_parameter', 'kind must be group or topic');
    query.kind = kind;
  }
  const since = readTime(params, 'since');
  const until = readTime(params, 'until');
  if (since !== undefined) query.since = since;
  if (until !== undefined) query.until = until;
  return query;
}
