import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupChange, OK, request, sendCallback, topicChange } from '../server/support.js';
import {
  C1,
  G1,
  G2,
  openPage,
  resultsDir,
  seedChanges,
  shownSeqs,
  T1,
  useBrowserHarness,
  waitLive,
} from './support.js';

const { harness, browser } = useBrowserHarness();

type Target = Parameters<typeof sendCallback>[0];

async function send(recorder: Target, body: Record<string, unknown>, optPlatform?: string): Promise<void> {
  const answer = await sendCallback(recorder, body, optPlatform ? { optPlatform } : {});
  expect(answer.json).toEqual(OK);
}

describe('the live feed', () => {
  it('shows a callback sent while the page is open within a second, with its diff', async () => {
    const recorder = await harness.start();
    await send(recorder, groupChange(G1, { Name: 'Before', Introduction: 'Hello' }));
    const { page, errors } = await openPage(browser(), `${recorder.url}/`);
    await page.locator('li.change[data-seq="1"]').waitFor();
    await waitLive(page);

    const sent = Date.now();
    await send(
      recorder,
      groupChange(
        G1,
        {
          Name: 'After',
          Notification: 'Read the rules',
          UserDefinedDataList: [{ Key: 'Level', Value: '3' }],
        },
        'alice',
      ),
      'iOS',
    );
    const row = page.locator('li.change[data-seq="2"]');
    await row.waitFor({ timeout: Math.max(1, 1000 - (Date.now() - sent)) });
    expect(Date.now() - sent).toBeLessThan(1000);

    expect(await shownSeqs(page)).toEqual([2, 1]);
    expect(await row.locator('.diff li[data-field="Name"] .from').textContent()).toBe('Before');
    expect(await row.locator('.diff li[data-field="Name"] .to').textContent()).toBe('After');
    expect(await row.locator('.diff li[data-field="Notification"] .unknown').textContent()).toBe('unknown');
    expect(await row.locator('.diff li[data-field="Notification"] .to').textContent()).toBe('Read the rules');
    expect(await row.locator('.diff li[data-field="customFields.Level"] .field').textContent()).toBe(
      'Levelcustom',
    );
    expect(await row.locator('.operator').textContent()).toBe('alice');
    expect(await row.locator('.platform').textContent()).toBe('iOS');
    expect(await row.locator('.target code.id').textContent()).toBe(G1);
    // Rows show the current name: the older row's name follows the rename.
    await page.locator('li.change[data-seq="1"] .target .name', { hasText: 'After' }).waitFor();
    await page.screenshot({ path: join(resultsDir(), 'feed.png') });
    expect(errors).toEqual([]);
  });

  it('survives a recorder restart and shows the changes made while it was down, once each', async () => {
    let recorder = await harness.start();
    await send(recorder, groupChange(G1, { Name: 'one' }));
    await send(recorder, groupChange(G1, { Name: 'two' }));
    const port = Number(new URL(recorder.url).port);
    const { page, errors } = await openPage(browser(), `${recorder.url}/`);
    await page.locator('li.change[data-seq="2"]').waitFor();
    await waitLive(page);

    await recorder.stop();
    await page.locator('#live[data-state="reconnecting"]').waitFor();
    // Written while no recorder ran (another instance on the same file, or a tool): seqs 3 and 4.
    await seedChanges(harness.dbPath, G2, 2);
    recorder = await harness.start({ port });
    await waitLive(page);
    await send(recorder, groupChange(G1, { Name: 'five' }));

    await page.locator('li.change[data-seq="5"]').waitFor();
    expect(await shownSeqs(page)).toEqual([5, 4, 3, 2, 1]);
    expect(await page.locator('li.change[data-seq="3"] .to').textContent()).toBe('name 1');
    // Once more after a second drop: still each change once.
    await recorder.stop();
    await page.locator('#live[data-state="reconnecting"]').waitFor();
    recorder = await harness.start({ port });
    await send(recorder, groupChange(G1, { Name: 'six' }));
    await page.locator('li.change[data-seq="6"]').waitFor();
    expect(await shownSeqs(page)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(errors).toEqual([]);
  });

  it('pages through the whole history with "load older"', async () => {
    await seedChanges(harness.dbPath, G1, 120);
    const recorder = await harness.start();
    const { page } = await openPage(browser(), `${recorder.url}/`);
    await page.locator('li.change[data-seq="120"]').waitFor();
    expect(await shownSeqs(page)).toEqual(range(120, 71));
    const older = page.getByRole('button', { name: 'Load older' });
    await older.click();
    await page.locator('li.change[data-seq="21"]').waitFor();
    expect(await shownSeqs(page)).toEqual(range(120, 21));
    await older.click();
    await page.locator('li.change[data-seq="1"]').waitFor();
    expect(await shownSeqs(page)).toEqual(range(120, 1));
    await page.getByText('The start of the history.').waitFor();
    expect(await older.isHidden()).toBe(true);
  });
});

describe('filters', () => {
  async function world(): Promise<Target & { url: string }> {
    const recorder = await harness.start();
    await send(recorder, groupChange(G1, { Name: 'Night owls' }, 'alice'), 'iOS'); // 1
    await send(recorder, groupChange(G2, { Name: 'Early birds' }, 'bob'), 'Web'); // 2
    await send(recorder, groupChange(G1, { Notification: 'Quiet hours' }, 'bob'), 'Android'); // 3
    await send(recorder, topicChange(C1, T1, { Name: 'General' }, 'alice'), 'Web'); // 4
    await send(recorder, groupChange(G2, { Notification: 'Morning' }, 'alice'), 'iOS'); // 5
    return recorder;
  }

  it('filters from the URL and keeps every change of filter in the URL, back button included', async () => {
    const recorder = await world();
    const { page } = await openPage(browser(), `${recorder.url}/?operator=alice`);
    await page.locator('li.change[data-seq="5"]').waitFor();
    expect(await shownSeqs(page)).toEqual([5, 4, 1]);
    expect(await page.locator('input[name="operator"]').inputValue()).toBe('alice');

    await page.locator('input[name="search"]').fill('night');
    await page.waitForURL((url) => url.searchParams.get('search') === 'night');
    await page.locator('li.change[data-seq="1"]').waitFor();
    await expect.poll(() => shownSeqs(page)).toEqual([1]);

    await page.locator('input[name="search"]').fill('');
    await page.locator('input[name="field"]').fill('Notification');
    await page.locator('input[name="field"]').press('Enter');
    await page.waitForURL(
      (url) => url.searchParams.get('field') === 'Notification' && !url.searchParams.has('search'),
    );
    await expect.poll(() => shownSeqs(page)).toEqual([5]);

    await page.locator('input[name="operator"]').fill('');
    await page.locator('input[name="optPlatform"]').fill('Android');
    await page.locator('input[name="optPlatform"]').press('Enter');
    await page.waitForURL((url) => url.search === '?optPlatform=Android&field=Notification');
    await expect.poll(() => shownSeqs(page)).toEqual([3]);

    // Back: the page shows what the previous URL says, in its rows and in its form.
    await page.goBack();
    await page.waitForURL((url) => url.search !== '?optPlatform=Android&field=Notification');
    const previous = new URL(page.url()).searchParams;
    const expected = (await request(recorder.url, `/api/events?order=desc&${previous}`)).json as {
      events: Array<{ seq: number }>;
    };
    await expect.poll(() => shownSeqs(page)).toEqual(expected.events.map((e) => e.seq));
    for (const name of ['operator', 'optPlatform', 'field', 'search']) {
      expect(await page.locator(`input[name="${name}"]`).inputValue(), name).toBe(previous.get(name) ?? '');
    }

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.waitForURL((url) => url.search === '');
    await expect.poll(() => shownSeqs(page)).toEqual([5, 4, 3, 2, 1]);
  });

  it('applies the filters to live changes too', async () => {
    const recorder = await world();
    const { page } = await openPage(browser(), `${recorder.url}/?search=owls&kind=group`);
    await page.locator('li.change[data-seq="3"]').waitFor();
    await waitLive(page);
    expect(await shownSeqs(page)).toEqual([3, 1]);
    await send(recorder, groupChange(G2, { Introduction: 'not an owl' }, 'alice')); // 6
    await send(recorder, topicChange(C1, T1, { Introduction: 'owls topic?' })); // 7
    await send(recorder, groupChange(G1, { Introduction: 'owls again' })); // 8
    await page.locator('li.change[data-seq="8"]').waitFor();
    expect(await shownSeqs(page)).toEqual([8, 3, 1]);
  });

  it('filters by a time range kept in the URL as ISO 8601', async () => {
    const recorder = await world();
    const since = new Date(Date.now() + 60_000).toISOString();
    const { page } = await openPage(browser(), `${recorder.url}/?since=${encodeURIComponent(since)}`);
    await page.getByText('No change matches these filters.').waitFor();
    expect(await page.locator('details.more').getAttribute('open')).toBe('');
    expect(await page.locator('input[name="since"]').inputValue()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d$/);
  });
});

describe('export', () => {
  it('downloads the filtered history as CSV and as JSON lines', async () => {
    const recorder = await harness.start();
    await send(recorder, groupChange(G1, { Name: '=1+1' }, 'alice'));
    await send(recorder, groupChange(G2, { Name: 'Other' }, 'bob'));
    await send(recorder, groupChange(G1, { Introduction: 'Hi, "all"' }, 'alice'));
    const { page } = await openPage(browser(), `${recorder.url}/?operator=alice`);
    await page.locator('li.change[data-seq="3"]').waitFor();

    const [csvDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'CSV' }).click(),
    ]);
    expect(csvDownload.suggestedFilename()).toMatch(/^timhook-changes-\d{8}T\d{6}\.csv$/);
    const csv = readFileSync((await csvDownload.path())!, 'utf8');
    const lines = csv.split('\r\n');
    expect(lines[0]).toMatch(/^\ufeffseq,received_at,/);
    expect(lines.slice(1, -1).map((line) => line.split(',')[0])).toEqual(['1', '3']);
    expect(lines[1]).toContain(",Name,,'=1+1,");
    expect(lines[2]).toContain(',Introduction,,"Hi, ""all""",');

    const [jsonDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'JSON lines' }).click(),
    ]);
    expect(jsonDownload.suggestedFilename()).toMatch(/\.jsonl$/);
    const events = readFileSync((await jsonDownload.path())!, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; operator: string; changes: unknown });
    expect(events.map((e) => [e.seq, e.operator])).toEqual([
      [1, 'alice'],
      [3, 'alice'],
    ]);
    expect(events[0]?.changes).toEqual({ Name: '=1+1' });
  });
});

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i >= to; i--) out.push(i);
  return out;
}
