import type { EventQuery } from '../store/index.js';
import { ApiError } from './http.js';

/** Longest `search` text the API takes. */
const MAX_SEARCH = 200;

/**
 * Adds the dashboard's filters to an event query read by `readEventQuery`: `field` (a profile field
 * the callback carried: `Name`, `customFields.Level`, or `customFields` for any custom field) and
 * `search` (text in the group's or topic's id or current name, any case).
 */
export function readSearchFilters(params: URLSearchParams, query: EventQuery): EventQuery {
  const field = params.get('field');
  if (field !== null && field !== '') {
    if (field.length > 100) throw new ApiError(400, 'bad_parameter', 'field is at most 100 characters');
    query.field = field;
  }
  const search = params.get('search')?.trim();
  if (search !== undefined && search !== '') {
    if (search.length > MAX_SEARCH)
      throw new ApiError(400, 'bad_parameter', `search is at most ${MAX_SEARCH} characters`);
    query.search = search;
  }
  return query;
}
