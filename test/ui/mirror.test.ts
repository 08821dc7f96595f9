import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { createRestClient } from '../../src/rest/index.js';
import { createRestSource, type MirrorSetup } from '../../src/server/index.js';
import { APP_ID, request, TOKEN } from '../server/support.js';
import { openPage, resultsDir, useBrowserHarness } from './support.js';

const { harness, browser } = useBrowserHarness();
const SECRET_KEY = 'dashboard-mirror-secret-key';
const ADMIN = 'administrator';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});

/** A mirror over the emulator's REST API, as `serve --rest-url` makes it. */
function mirrorOf(target: Emulator): MirrorSetup {
  const client = createRestClient({
    sdkAppId: APP_ID,
    identifier: ADMIN,
    secretKey: SECRET_KEY,
    baseUrl: target.url,
    timeoutMs: 5000,
  });
  return {
    source: createRestSource(client),
    restCounts: () => client.metrics(),
    close: () => client.close(),
  };
}

async function ok(call: Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const answer = await call;
  expect(answer.ActionStatus).toBe('OK');
  return answer;
}

// A browser, an emulator and a recorder per test: bounded at 60 s, as a loaded CI machine needs.
describe('the profile mirror on the health page', () => {
  it('starts a pass with "Reconcile now", shows it repair the drift, and marks the repairs as from REST', async () => {
    emulator = createEmulator({
      sdkAppId: APP_ID,
      secretKey: SECRET_KEY,
      admins: [ADMIN],
      callbackToken: TOKEN,
    });
    await emulator.start();
    const recorder = await harness.start({ mirror: mirrorOf(emulator) });
    // The mirror hears each logged change from the live hub before this listener does: once the
    // three groups are heard here, their first-sight fill has been asked for.
    const heard = new Set<string>();
    recorder.hub.subscribe((event) => {
      if (event.groupId) heard.add(event.groupId);
    });
    emulator.configure({ callbackUrl: recorder.callbackUrl });
    const ids: string[] = [];
    for (const name of ['Ops', 'Design', 'Support']) {
      const answer = await ok(
        emulator.rest('group_open_http_svc/create_group', {
          Type: 'Public',
          Name: name,
          Owner_Account: 'alice',
        }),
      );
      ids.push(String(answer.GroupId));
    }
    await emulator.idle();
    await expect.poll(() => ids.every((id) => heard.has(id)), { timeout: 10_000 }).toBe(true);
    await recorder.mirror!.idle();
    // The truth moves with no callback: the recorder's copies drift.
    for (const [i, id] of ids.entries()) {
      await ok(emulator.silent('modify_group_base_info', { GroupId: id, Notification: `silent ${i}` }));
    }

    const { page, errors } = await openPage(browser(), `${recorder.url}/health`);
    const panel = page.locator('section.mirror');
    await panel.getByText('No reconciliation pass has run yet.').waitFor({ timeout: 10_000 });
    await panel.getByRole('button', { name: 'Reconcile now' }).click();
    await panel.locator('.badge.pass-status.done').waitFor({ timeout: 20_000 });
    const count = async (key: string) =>
      Number(await panel.locator(`[data-count="${key}"] dd`).textContent());
    expect(await count('drifted')).toBe(3);
    expect(await count('fixed')).toBe(3);
    expect(await count('failed')).toBe(0);
    expect(await panel.locator('.scanned').textContent()).toBe('scanned 3 of 3 groups');
    expect(await panel.locator('progress').evaluate((bar) => (bar as HTMLProgressElement).value)).toBe(3);
    await page.screenshot({ path: join(resultsDir(), 'mirror-panel.png'), fullPage: true });

    await page.goto(`${recorder.url}/`);
    const repaired = page.locator('li.change.repaired').first();
    await repaired.waitFor({ timeout: 10_000 });
    expect(await repaired.locator('.badge.rest').textContent()).toBe('repaired from REST');
    expect(await repaired.locator('.operator').count()).toBe(0);
    expect(await repaired.locator('.diff li[data-field="Notification"] .to').textContent()).toMatch(
      /^silent \d$/,
    );
    await page.screenshot({ path: join(resultsDir(), 'mirror-feed.png') });
    expect(errors).toEqual([]);
  }, 60_000);

  it('shows a running pass live when it is started elsewhere', async () => {
    emulator = createEmulator({
      sdkAppId: APP_ID,
      secretKey: SECRET_KEY,
      admins: [ADMIN],
      callbackToken: TOKEN,
    });
    await emulator.start();
    const recorder = await harness.start({ mirror: mirrorOf(emulator) });
    emulator.configure({ callbackUrl: recorder.callbackUrl, dropCallbacks: 1 });
    const answer = await ok(
      emulator.rest('group_open_http_svc/create_group', {
        Type: 'Public',
        Name: 'Lost',
        Owner_Account: 'alice',
      }),
    );
    await emulator.idle();
    const { page, errors } = await openPage(browser(), `${recorder.url}/health`);
    const panel = page.locator('section.mirror');
    await panel.getByText('No reconciliation pass has run yet.').waitFor({ timeout: 10_000 });
    const started = await request(recorder, '/api/reconcile', { method: 'POST' });
    expect(started.status).toBe(202);
    await panel.locator('.badge.pass-status.done').waitFor({ timeout: 20_000 });
    expect(Number(await panel.locator('[data-count="filled"] dd').textContent())).toBe(1);

    await page.goto(`${recorder.url}/groups/${encodeURIComponent(String(answer.GroupId))}`);
    await page
      .locator('li.change.snapshot .badge.rest', { hasText: 'snapshot from REST' })
      .waitFor({ timeout: 10_000 });
    // The current profile says where each value came from too.
    await page
      .locator('.field-row[data-field="Name"] .provenance .badge.rest', { hasText: 'snapshot from REST' })
      .waitFor({ timeout: 10_000 });
    expect(await page.locator('.field-row[data-field="Name"] dd').first().textContent()).toBe('Lost');
    expect(errors).toEqual([]);
  }, 60_000);

  it('says how to turn the mirror on when the recorder has no REST settings', async () => {
    const recorder = await harness.start();
    const { page, errors } = await openPage(browser(), `${recorder.url}/health`);
    const panel = page.locator('section.mirror');
    await panel.locator('.not-configured').waitFor({ timeout: 10_000 });
    expect(await panel.locator('.not-configured').textContent()).toContain('--rest-admin');
    expect(await panel.getByRole('button', { name: 'Reconcile now' }).isVisible()).toBe(false);
    expect(errors).toEqual([]);
  });
});
