import { isUiPath } from './routes/ui.js';

/** The read-only routes with a fixed path (the relay answers for its own). */
const READ_PATHS = new Set([
  '/api/events',
  '/api/groups',
  '/api/refusals',
  '/api/stream',
  '/api/openapi.json',
  '/api/export',
  '/api/stats/rate',
  '/metrics',
  '/healthz',
  '/readyz',
]);

/** `/api/groups/{id}`, `…/history`, `…/topics`; `/api/topics/{id}`, `…/history`. */
const PROFILE_ROUTE = /^\/api\/(?:groups\/[^/]+(?:\/history|\/topics)?|topics\/[^/]+(?:\/history)?)$/;

/**
 * True when `pathname` is a route that answers GET and HEAD only: another method on it is a 405,
 * while any method on a path that is no route is a 404.
 */
export function isReadRoute(pathname: string): boolean {
  return READ_PATHS.has(pathname) || PROFILE_ROUTE.test(pathname) || isUiPath(pathname);
}

/** True for GET and HEAD, the methods that change nothing. */
export function isReadMethod(method: string | undefined): boolean {
  return method === 'GET' || method === 'HEAD';
}
