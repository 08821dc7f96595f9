// Takes the README's screenshot, docs/dashboard.png, of `timhook demo` at a desktop width.
// Run after a build: npm run build && node test/ui/take-readme-screenshot.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'timhook-shot-'));
const demo = spawn(
  process.execPath,
  [
    join(root, 'dist/cli/bin.js'),
    'demo',
    '--port',
    '0',
    '--emulator-port',
    '0',
    '--db',
    join(dir, 'demo.db'),
    '--rate',
    '3',
    '--quiet',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let browser;
try {
  const url = await new Promise((resolve, reject) => {
    let out = '';
    demo.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
      const match = /dashboard\s+(http:\/\/\S+)\//.exec(out);
      if (match) resolve(match[1]);
    });
    demo.on('exit', (code) => reject(new Error(`the demo exited (${code}): ${out}`)));
  });
  // Let some traffic build up: a few dozen changes.
  for (;;) {
    const { lastSeq } = await (await fetch(`${url}/readyz`)).json();
    if (lastSeq >= 40) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
  await page.goto(`${url}/`);
  await page.locator('#live[data-state="live"]').waitFor();
  await page.locator('li.change').nth(8).waitFor();
  // Wait for a live change to arrive, so that the shot shows the feed moving.
  const top = await page.locator('li.change').first().getAttribute('data-seq');
  await page.locator(`li.change[data-seq="${Number(top) + 1}"]`).waitFor();
  await page.locator('.health-strip .totals').waitFor();
  const path = join(root, 'docs/dashboard.png');
  await page.screenshot({ path, animations: 'disabled' });
  console.log(`wrote ${path}`);
} finally {
  await browser?.close();
  if (demo.exitCode === null && demo.signalCode === null) {
    const exited = new Promise((resolve) => demo.once('exit', resolve));
    demo.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
}
