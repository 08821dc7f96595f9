import type { IncomingMessage } from 'node:http';
import { ApiError } from './http.js';

/** The names this machine is always reached by, on any port. */
const LOOPBACK_NAMES: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/** A `Host` value split: the name in lower case (no trailing dot), and the port when one is given. */
export interface HostName {
  name: string;
  port: string | null;
}

const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?)(?::(\d{1,5}))?$/i;

/** Splits `name`, `name:port`, `[v6]` or `[v6]:port`; null when `value` is none of them. */
export function parseHost(value: string): HostName | null {
  const match = HOST.exec(value);
  if (!match) return null;
  return { name: match[1]!.toLowerCase().replace(/\.$/, ''), port: match[2] ?? null };
}

/** Which `Host` headers name this service. */
export interface HostPolicy {
  /** True when `host` (a request's `Host` header) names this service. */
  allows(host: string | undefined): boolean;
}

/**
 * The names the recorder answers its API, stream, metrics, dashboard, relay and export routes by,
 * against DNS rebinding (a foreign name re-pointed at this machine): the loopback names on any port,
 * and `publicHosts` (`NAME` on any port, `NAME:PORT` on that port). With `anyHost` and no
 * `publicHosts` every name is allowed (an API token guards the routes). A request without `Host`
 * (HTTP/1.0) is allowed: a browser always sends one.
 *
 * @example
 * createHostPolicy({ publicHosts: ['timhook.internal'] }).allows('timhook.internal:8787'); // true
 */
export function createHostPolicy(options: {
  publicHosts?: readonly string[];
  anyHost?: boolean;
}): HostPolicy {
  const { publicHosts = [], anyHost = false } = options;
  const named = publicHosts.map((entry) => {
    const host = parseHost(entry);
    if (!host)
      throw new TypeError(`[timhook] public host ${JSON.stringify(entry)} is not a NAME or NAME:PORT`);
    return host;
  });
  if (anyHost && named.length === 0) return { allows: () => true };
  return {
    allows(header) {
      if (header === undefined) return true;
      const given = parseHost(header);
      if (!given) return false;
      if (LOOPBACK_NAMES.includes(given.name)) return true;
      return named.some(
        (host) => host.name === given.name && (host.port === null || host.port === given.port),
      );
    },
  };
}

/** Refuses a request whose `Host` does not name this service: 403 `foreign_host`. */
export function checkHost(policy: HostPolicy, req: IncomingMessage): void {
  const host = req.headers.host;
  if (policy.allows(host)) return;
  throw new ApiError(
    403,
    'foreign_host',
    `this service is not reached by the name ${JSON.stringify((host ?? '').slice(0, 100))}; add it with --public-host`,
  );
}

/**
 * Refuses a write a browser sent from another site: `Sec-Fetch-Site` cross-site or same-site, an
 * `Origin` of `null` (sandboxed pages, `file:`), or an `Origin` whose host and port are not the
 * request's `Host`. curl sends neither header and passes.
 */
export function refuseCrossSite(req: IncomingMessage): void {
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  if (site === 'cross-site' || site === 'same-site' || (origin !== undefined && !isSameOrigin(origin, req))) {
    throw new ApiError(403, 'cross_site', 'operator actions are refused from another site');
  }
}

function isSameOrigin(origin: string, req: IncomingMessage): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const host = parseHost(req.headers.host ?? '');
  const from = parseHost(url.host);
  if (!host || !from) return false;
  // The browser leaves the scheme's default port out of both headers.
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  return from.name === host.name && (from.port ?? defaultPort) === (host.port ?? defaultPort);
}
