import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { Recorder } from '../../src/server/index.js';
import { loadUiAssets, UI_CSP, UI_ROOT } from '../../src/server/routes/ui.js';
import { createHarness } from '../server/support.js';

const harness = createHarness();
afterEach(() => harness.cleanup());

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A raw GET: status, headers and the bytes as sent (no decompression). */
function rawGet(
  recorder: Recorder,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${recorder.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** What the browser fetches on a first load: index.html, what it links, and every module imported. */
function firstLoadPaths(): string[] {
  const html = readFileSync(join(UI_ROOT, 'index.html'), 'utf8');
  const found = new Set<string>(['/']);
  const pending = [...html.matchAll(/(?:src|href)="(\/ui\/[^"]+)"/g)].map((m) => m[1]!);
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (found.has(path)) continue;
    found.add(path);
    const file = join(UI_ROOT, path.slice('/ui/'.length));
    const text = readFileSync(file, 'utf8');
    if (path.endsWith('.js')) {
      for (const m of text.matchAll(/^import[^'"]*['"](\.\/[^'"]+)['"]/gm)) {
        pending.push(new URL(m[1]!, `http://x${path}`).pathname);
      }
    }
    if (path.endsWith('.css')) {
      for (const m of text.matchAll(/url\("?(\/ui\/[^")]+)"?\)/g)) pending.push(m[1]!);
    }
  }
  return [...found];
}

describe('the dashboard files', () => {
  it('resolve to the package’s ui/ folder from src/ (tests) and from dist/ (built) alike', () => {
    expect(UI_ROOT).toBe(join(ROOT, 'ui/'));
    const fromDist = fileURLToPath(
      new URL('../../../ui/', pathToFileURL(join(ROOT, 'dist/server/routes/ui.js'))),
    );
    expect(fromDist).toBe(UI_ROOT);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('ui');
  });

  it('load in under 150 KB as transferred (gzip), and the test prints the figure', async () => {
    const recorder = await harness.start();
    const paths = firstLoadPaths();
    expect(paths).toEqual(expect.arrayContaining(['/', '/ui/style.css', '/ui/js/main.js', '/ui/js/sse.js']));
    let transferred = 0;
    let raw = 0;
    for (const path of paths) {
      const answer = await rawGet(recorder, path, { 'accept-encoding': 'gzip, deflate, br' });
      expect(answer.status, path).toBe(200);
      transferred += answer.body.length;
      raw +=
        answer.headers['content-encoding'] === 'gzip' ? gunzipSync(answer.body).length : answer.body.length;
    }
    const everything = [...loadUiAssets().files.values()].reduce(
      (sum, a) => sum + (a.gzip ?? a.body).length,
      0,
    );
    console.log(
      `dashboard first load: ${paths.length} files, ${(transferred / 1024).toFixed(1)} KiB gzip as transferred ` +
        `(${(raw / 1024).toFixed(1)} KiB uncompressed); all of ui/: ${(everything / 1024).toFixed(1)} KiB gzip; budget 150 KB`,
    );
    expect(transferred).toBeLessThan(150_000);
  });

  it('are served with their content types, the security headers and a CSP without inline scripts', async () => {
    const recorder = await harness.start();
    const types: Array<[string, string]> = [
      ['/', 'text/html; charset=utf-8'],
      ['/ui/style.css', 'text/css; charset=utf-8'],
      ['/ui/js/main.js', 'text/javascript; charset=utf-8'],
      ['/ui/favicon.svg', 'image/svg+xml'],
      ['/favicon.ico', 'image/svg+xml'],
    ];
    for (const [path, type] of types) {
      const answer = await rawGet(recorder, path);
      expect(answer.status, path).toBe(200);
      expect(answer.headers['content-type'], path).toBe(type);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
      expect(answer.headers['x-frame-options']).toBe('DENY');
      expect(answer.headers['content-security-policy']).toBe(UI_CSP);
    }
    expect(UI_CSP).toContain("default-src 'self'");
    expect(UI_CSP).toContain("script-src 'self'");
    expect(UI_CSP).toContain("frame-ancestors 'none'");
    expect(UI_CSP).toContain("img-src 'self' https: http: data:");
    expect(UI_CSP).not.toContain('unsafe');
  });

  it('answers index.html on the page paths, and 404 elsewhere, with no way out of ui/', async () => {
    const recorder = await harness.start();
    const index = readFileSync(join(UI_ROOT, 'index.html'));
    for (const path of ['/', '/health', '/groups/%40TGS%232J4SZEAEL', '/topics/%40TGS%23_x%40TOPIC%23_y']) {
      const answer = await rawGet(recorder, path);
      expect(answer.status, path).toBe(200);
      expect(answer.body.equals(index), path).toBe(true);
    }
    for (const path of [
      '/groups/a/b',
      '/ui/',
      '/ui/nope.js',
      '/ui/../package.json',
      '/ui/%2e%2e/package.json',
      '/ui/js/../../package.json',
      '/ui//etc/passwd',
      '/index.html',
    ]) {
      const answer = await rawGet(recorder, path);
      expect(answer.status, path).toBe(404);
      expect(answer.headers['content-type'], path).toBe('application/json; charset=utf-8');
    }
  });

  it('revalidate by ETag, gzip when asked, and answer HEAD without a body', async () => {
    const recorder = await harness.start();
    const plain = await rawGet(recorder, '/ui/js/timeline.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['cache-control']).toBe('no-cache');
    expect(plain.headers.vary).toBe('accept-encoding');
    const etag = plain.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    const zipped = await rawGet(recorder, '/ui/js/timeline.js', { 'accept-encoding': 'gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.etag).toBe(etag);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    expect(zipped.body.length).toBeLessThan(plain.body.length);
    const refused = await rawGet(recorder, '/ui/js/timeline.js', { 'accept-encoding': 'gzip;q=0, identity' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    const again = await rawGet(recorder, '/ui/js/timeline.js', { 'if-none-match': `W/"x", ${etag}` });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect((await rawGet(recorder, '/ui/js/timeline.js', { 'if-none-match': '"other"' })).status).toBe(200);
    const head = await rawGet(recorder, '/ui/style.css', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(readFileSync(join(UI_ROOT, 'style.css')).length);
    expect(head.body.length).toBe(0);
  });

  it('hold no inline script or style, nor any API that parses HTML from data', () => {
    const html = readFileSync(join(UI_ROOT, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\son\w+=/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/<style/i);
    const scripts = readdirSync(join(UI_ROOT, 'js')).filter((name) => name.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(5);
    for (const name of scripts) {
      const text = readFileSync(join(UI_ROOT, 'js', name), 'utf8');
      expect(text, name).not.toMatch(
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|DOMParser|createContextualFragment/,
      );
      expect(text, name).not.toMatch(/\bhttps?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    }
  });
});
