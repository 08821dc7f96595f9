import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { openSqliteChangeLog } from '../../src/store/index.js';
import { createHarness, type Harness } from '../server/support.js';
import { CHROMIUM } from '../setup/chromium.js';
import { groupChanged } from '../store/entries.js';

export { CHROMIUM };

const ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** One browser per test file: launch in `beforeAll`, close in `afterAll`. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** Where screenshots go (gitignored). */
export function resultsDir(): string {
  const dir = join(import.meta.dirname, '..', '..', 'test-results');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A page of its own context, and what went wrong in it. */
export interface OpenedPage {
  page: Page;
  context: BrowserContext;
  /** Uncaught errors of the page's scripts. */
  errors: string[];
  /** Dialogs (alert, confirm, prompt) the page opened: dismissed, and recorded. */
  dialogs: string[];
}

/** The host of test photos (see `openPage`). */
export const PHOTOS = 'https://photos.example';

const PHOTO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8" fill="#e8a33d"/><circle cx="4" cy="3" r="2" fill="#fff"/></svg>';

/** Contexts of the running test, closed by `closePages`. */
const contexts: BrowserContext[] = [];

/** Opens `url` in a new context (1280×900 unless `options` say otherwise); `setup` runs before it loads. */
export async function openPage(
  browser: Browser,
  url: string,
  options: BrowserContextOptions = {},
  setup: (page: Page) => void = () => {},
): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  contexts.push(context);
  const page = await context.newPage();
  const errors: string[] = [];
  const dialogs: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  // Profile photos of the tests live at photos.example: answered here, nothing leaves the machine.
  await context.route(/^https?:\/\/photos\.example\//, (route) =>
    route.fulfill({ status: 200, contentType: 'image/svg+xml', body: PHOTO }),
  );
  setup(page);
  await page.goto(url);
  return { page, context, errors, dialogs };
}

/** Closes every context the test opened. */
export async function closePages(): Promise<void> {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
}

/** The seqs of the change rows on the page, top to bottom. */
export function shownSeqs(page: Page): Promise<number[]> {
  return page.$$eval('li.change', (rows) => rows.map((row) => Number((row as HTMLElement).dataset.seq)));
}

/** Waits until the header says the stream is live. */
export async function waitLive(page: Page, timeout = 10_000): Promise<void> {
  await page.locator('#live[data-state="live"]').waitFor({ timeout });
}

/** Writes `count` changes of `groupId` into the database at `path` (no recorder needed). */
export async function seedChanges(path: string, groupId: string, count: number, from = 1): Promise<void> {
  const log = openSqliteChangeLog({ path });
  const entries = [];
  const at = Date.now();
  for (let i = from; i < from + count; i++) {
    entries.push(await groupChanged(groupId, { Name: `name ${i}` }, { at: at + i, operator: 'seeder' }));
  }
  await log.append(entries);
  await log.close();
}

/** Ids the browser tests use: two groups, a community and one of its topics. */
export const G1 = '@TGS#2J4SZEAEL';
export const G2 = '@TGS#2OTHERGRP';
export const C1 = '@TGS#_@TGS#COMMUNITY1';
export const T1 = `${C1}@TOPIC#_@TOPIC#TOPICONE`;

/**
 * One browser for the whole file and a recorder harness, with the hooks that launch, close and
 * clean them up; `browser()` is the launched browser.
 */
export function useBrowserHarness(): { harness: Harness; browser: () => Browser } {
  const harness = createHarness();
  let launched: Browser | undefined;
  beforeAll(async () => {
    launched = await launchBrowser();
  });
  afterAll(async () => {
    await launched?.close();
  });
  afterEach(async () => {
    await closePages();
    await harness.cleanup();
  });
  return {
    harness,
    browser() {
      if (!launched) throw new Error('the browser is not launched yet');
      return launched;
    },
  };
}
