import { createHash } from 'node:crypto';
import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * The dashboard's files, shipped in the package's `ui/` folder. This module sits at
 * `dist/server/routes/ui.js` (built) or `src/server/routes/ui.ts` (tests): three levels below the
 * package root either way.
 */
export const UI_ROOT = fileURLToPath(new URL('../../../ui/', import.meta.url));

/**
 * The page's policy: its own scripts and styles only (no inline script can run, whatever a profile
 * field holds), profile photos from anywhere over http(s), API calls to this origin only, and no
 * framing. Photos are fetched without a referrer (Referrer-Policy below).
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' https: http: data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Paths of the single-page app: each answers `index.html`, and the page routes itself. */
const PAGE_ROUTE = /^\/(?:|health|groups\/[^/]+|topics\/[^/]+)$/;

/** One file, ready to send: its bytes, its gzip (when smaller) and its ETag. */
interface Asset {
  body: Buffer;
  gzip: Buffer | null;
  etag: string;
  type: string;
}

/** The dashboard's files, read once from a folder; only files found there can be served. */
export interface UiAssets {
  /** The asset at `urlPath` (`/ui/js/main.js`, or a page path for `index.html`), if any. */
  find(urlPath: string): Asset | undefined;
  /** Every file, by URL path. */
  readonly files: ReadonlyMap<string, Asset>;
}

/** Reads every file under `root` into memory (a few tens of KiB), with gzip and ETags. */
export function loadUiAssets(root: string = UI_ROOT): UiAssets {
  const files = new Map<string, Asset>();
  let entries: Dirent[] = [];
  try {
    entries = readdirSync(root, { recursive: true, withFileTypes: true });
  } catch (error) {
    // A package built without its ui/ folder still serves the API; the dashboard answers 404.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const type = TYPES[extname(entry.name)];
    if (!type) continue;
    const path = join(entry.parentPath, entry.name);
    const body = readFileSync(path);
    const compressed = gzipSync(body, { level: 9 });
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    const urlPath = `/ui/${relative(root, path).split(sep).join('/')}`;
    files.set(urlPath, { body, gzip: compressed.length < body.length ? compressed : null, etag, type });
  }
  return {
    files,
    find(urlPath) {
      if (PAGE_ROUTE.test(urlPath)) return files.get('/ui/index.html');
      if (urlPath === '/favicon.ico') return files.get('/ui/favicon.svg');
      return files.get(urlPath);
    },
  };
}

/** True for the paths the dashboard answers: its pages and its files. They hold no data. */
export function isUiPath(pathname: string): boolean {
  return PAGE_ROUTE.test(pathname) || pathname.startsWith('/ui/') || pathname === '/favicon.ico';
}

let shared: UiAssets | undefined;

/** The package's own `ui/` folder, read on first use. */
function sharedAssets(): UiAssets {
  shared ??= loadUiAssets();
  return shared;
}

/**
 * Serves the dashboard: `index.html` at `/`, `/health`, `/groups/{id}`, `/topics/{id}`, and the
 * files under `/ui/`. Revalidated by ETag (`no-cache`: files change only with the package),
 * gzipped when the client accepts it. Returns false when `pathname` is not the dashboard's.
 */
export function serveUi(
  req: IncomingMessage,
  pathname: string,
  res: ServerResponse,
  assets: UiAssets = sharedAssets(),
): boolean {
  if (!isUiPath(pathname)) return false;
  const asset = assets.find(pathname);
  if (!asset) return false;
  const headers: Record<string, string | number> = {
    'content-type': asset.type,
    etag: asset.etag,
    'cache-control': 'no-cache',
    vary: 'accept-encoding',
    'content-security-policy': UI_CSP,
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
  };
  if (matchesEtag(req.headers['if-none-match'], asset.etag)) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  const gzip = asset.gzip !== null && acceptsGzip(req.headers['accept-encoding']);
  const body = gzip ? asset.gzip! : asset.body;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === etag || tag === '*');
}

function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...options] = part.trim().split(';');
    if (coding?.trim().toLowerCase() !== 'gzip') return false;
    const q = options.map((o) => o.trim()).find((o) => o.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
