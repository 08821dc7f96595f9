import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { groupChange, OK, sendCallback, topicChange } from '../server/support.js';
import { C1, G1, G2, openPage, shownSeqs, T1, useBrowserHarness, waitLive } from './support.js';

const { harness, browser } = useBrowserHarness();

const enc = encodeURIComponent;

const IMG = '<img src=x onerror=window.__xss=1>';
const SCRIPT = '<script>window.__xss=1</script>';
const JS_URL = 'javascript:alert(1)';
const SVG = '<svg onload="window.__xss=1"><a href="javascript:window.__xss=1">x</a></svg>';

/** Fails when any script the page did not ship ran, or any payload became markup. */
async function expectInert(page: Page, dialogs: string[], errors: string[]): Promise<void> {
  expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
  expect(dialogs).toEqual([]);
  expect(errors).toEqual([]);
  expect(await page.locator('img[src="x"], img[src^="javascript:"], img[src^="data:"]').count()).toBe(0);
  expect(await page.locator('svg[onload], [onerror], [onload], a[href^="javascript:"]').count()).toBe(0);
  // The only scripts are the page's own module script.
  expect(await page.$$eval('script', (scripts) => scripts.map((s) => s.getAttribute('src')))).toEqual([
    '/ui/js/main.js',
  ]);
}

describe('attacker-controlled profile fields', () => {
  async function world(recorder: Parameters<typeof sendCallback>[0]): Promise<void> {
    const bodies = [
      groupChange(G1, { Name: IMG, Introduction: SCRIPT, FaceUrl: JS_URL }, '<b>mallory</b>'),
      groupChange(G2, {
        Name: SCRIPT,
        Notification: `${SVG}\n${'long '.repeat(40)}`,
        FaceUrl: 'data:image/svg+xml,<svg onload=alert(1)>',
        UserDefinedDataList: [{ Key: '<i>k</i>', Value: IMG }],
      }),
      topicChange(C1, T1, { Name: `"><img src=x onerror=alert(1)>`, FaceUrl: ' JaVaScRiPt:alert(1)' }),
    ];
    for (const body of bodies)
      expect((await sendCallback(recorder, body, { optPlatform: '<u>iOS</u>' })).json).toEqual(OK);
  }

  // Twice: with the page's CSP, and with CSP bypassed, so that the test proves the rendering is
  // inert by itself, not only that the CSP blocks what a rendering bug would inject.
  it.each([
    ['with the CSP', false],
    ['with the CSP bypassed', true],
  ])('renders an XSS group name and a javascript: FaceUrl as inert text (%s)', async (_, bypassCSP) => {
    const recorder = await harness.start();
    await world(recorder);
    const { page, dialogs, errors } = await openPage(browser(), `${recorder.url}/`, { bypassCSP });
    await page.locator('li.change[data-seq="3"]').waitFor();
    await waitLive(page);
    // And live: the same payloads arriving while the page is open.
    expect(
      (await sendCallback(recorder, groupChange(G1, { Name: `${IMG}!`, Notification: SCRIPT }))).json,
    ).toEqual(OK);
    await page.locator('li.change[data-seq="4"]').waitFor();
    expect(await shownSeqs(page)).toEqual([4, 3, 2, 1]);

    const row1 = page.locator('li.change[data-seq="1"]');
    expect(await row1.locator('.diff li[data-field="Name"] .to').textContent()).toBe(IMG);
    expect(await row1.locator('.diff li[data-field="Introduction"] .to').textContent()).toBe(SCRIPT);
    expect(await row1.locator('.diff li[data-field="FaceUrl"] code.url').textContent()).toBe(JS_URL);
    expect(await row1.locator('.diff li[data-field="FaceUrl"] img').count()).toBe(0);
    expect(await row1.locator('.operator').textContent()).toBe('<b>mallory</b>');
    expect(await row1.locator('.platform').textContent()).toBe('<u>iOS</u>');
    // The current name (from the live rename) shown as text in every row of G1.
    await page.locator('li.change[data-seq="1"] .target .name', { hasText: `${IMG}!` }).waitFor();
    const row2 = page.locator('li.change[data-seq="2"]');
    expect(await row2.locator('.diff li[data-field="customFields.<i>k</i>"] .field').textContent()).toBe(
      '<i>k</i>custom',
    );
    expect(await row2.locator('.diff li[data-field="FaceUrl"] img').count()).toBe(0);
    await row2.locator('details.fold summary').click();
    expect(await row2.locator('details.fold .full').textContent()).toContain(SVG);
    expect(await page.locator('li.change[data-seq="3"] .target .name').first().textContent()).toBe(
      `"><img src=x onerror=alert(1)>`,
    );
    await expectInert(page, dialogs, errors);

    await page.locator('li.change[data-seq="4"] a.target').click();
    await page.waitForURL(`${recorder.url}/groups/${enc(G1)}`);
    await page.locator('.field-row[data-field="FaceUrl"]').waitFor();
    expect(await page.locator('h1').textContent()).toBe(`${IMG}!`);
    expect(await page.locator('.field-row[data-field="FaceUrl"] code').textContent()).toBe(JS_URL);
    expect(await page.locator('.field-row[data-field="Notification"] dd').first().textContent()).toBe(SCRIPT);
    expect(await page.title()).toBe(`group ${G1} · timhook`);
    await expectInert(page, dialogs, errors);
  });
});

describe('with an API token', () => {
  it('asks for the token once, then reads the API and the stream with it', async () => {
    const recorder = await harness.start({ apiToken: 'the-api-token' });
    expect((await sendCallback(recorder, groupChange(G1, { Name: 'Secret' }))).json).toEqual(OK);
    const authorizations = new Set<string>();
    const { page, errors } = await openPage(browser(), `${recorder.url}/`, {}, (opening) =>
      opening.on('request', (request) => {
        if (new URL(request.url()).pathname.startsWith('/api/')) {
          authorizations.add(request.headers().authorization ?? '(none)');
        }
      }),
    );
    const dialog = page.locator('#token-dialog');
    await dialog.locator('#token-input').waitFor();
    expect(await dialog.getAttribute('open')).toBe('');
    expect(await page.locator('li.change').count()).toBe(0);

    await page.locator('#token-input').fill('wrong');
    await page.locator('#token-input').press('Enter');
    await page.getByText('That token was refused. Try again.').waitFor();
    await page.locator('#token-input').fill('the-api-token');
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    await page.locator('li.change[data-seq="1"]').waitFor();
    await waitLive(page);
    expect(await dialog.getAttribute('open')).toBeNull();
    expect(await page.locator('li.change[data-seq="1"] .target .name').textContent()).toBe('Secret');

    expect((await sendCallback(recorder, groupChange(G1, { Name: 'Live' }))).json).toEqual(OK);
    await page.locator('li.change[data-seq="2"]').waitFor({ timeout: 1000 });
    expect([...authorizations].sort()).toEqual(['(none)', 'Bearer the-api-token', 'Bearer wrong']);

    // Kept for the session: a reload does not ask again.
    authorizations.clear();
    await page.reload();
    await page.locator('li.change[data-seq="2"]').waitFor();
    expect(await dialog.getAttribute('open')).toBeNull();
    expect([...authorizations]).toEqual(['Bearer the-api-token']);
    expect(errors).toEqual([]);
  });

  it('downloads an export with the token', async () => {
    const recorder = await harness.start({ apiToken: 'the-api-token' });
    expect((await sendCallback(recorder, groupChange(G1, { Name: 'Exported' }))).json).toEqual(OK);
    const { page } = await openPage(browser(), `${recorder.url}/`);
    await page.locator('#token-input').fill('the-api-token');
    await page.locator('#token-input').press('Enter');
    await page.locator('li.change[data-seq="1"]').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'JSON lines' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^timhook-changes-\d{8}T\d{6}\.jsonl$/);
    const stream = await download.createReadStream();
    let text = '';
    for await (const chunk of stream) text += chunk;
    expect(JSON.parse(text.trim())).toMatchObject({ seq: 1, changes: { Name: 'Exported' } });
  });
});
