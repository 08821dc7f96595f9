import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupChange, OK, sendCallback, topicChange } from '../server/support.js';
import {
  C1,
  G1,
  openPage,
  PHOTOS,
  resultsDir,
  shownSeqs,
  T1,
  useBrowserHarness,
  waitLive,
} from './support.js';

const { harness, browser } = useBrowserHarness();

const T2 = `${C1}@TOPIC#_@TOPIC#TOPICTWO`;
const enc = encodeURIComponent;

type Target = Parameters<typeof sendCallback>[0];

async function send(recorder: Target, body: Record<string, unknown>, optPlatform?: string): Promise<void> {
  expect((await sendCallback(recorder, body, optPlatform ? { optPlatform } : {})).json).toEqual(OK);
}

/**
 * 1 G1 created by admin, 2 C1 created, 3 T1 created, 4 G1 photo + Level by alice, 5 T1 renamed by
 * bob, 6 a topic change of C1 naming no topic, 7 T2 created, 8 G1 notification by carol.
 */
async function world(recorder: Target): Promise<void> {
  await send(recorder, {
    CallbackCommand: 'Group.CallbackAfterCreateGroup',
    GroupId: G1,
    Type: 'Public',
    Owner_Account: 'owner',
    Operator_Account: 'admin',
    Name: 'Night owls',
    Introduction: 'For people who code at night',
    EventTime: Date.now() - 60_000,
  });
  await send(recorder, {
    CallbackCommand: 'Group.CallbackAfterCreateGroup',
    GroupId: C1,
    Type: 'Community',
    Owner_Account: 'owner',
    Operator_Account: 'admin',
    Name: 'Makers',
  });
  await send(recorder, {
    CallbackCommand: 'Group.CallbackAfterCreateTopic',
    GroupId: C1,
    TopicId: T1,
    Type: 'Community',
    Operator_Account: 'admin',
    Name: 'General',
  });
  await send(
    recorder,
    groupChange(
      G1,
      { FaceUrl: `${PHOTOS}/owl.png`, UserDefinedDataList: [{ Key: 'Level', Value: 'gold' }] },
      'alice',
    ),
    'iOS',
  );
  await send(recorder, topicChange(C1, T1, { Name: 'General chat' }, 'bob'), 'Android');
  await send(recorder, topicChange(C1, null, { Notification: 'Which topic am I?' }, 'bob'));
  await send(recorder, {
    CallbackCommand: 'Group.CallbackAfterCreateTopic',
    GroupId: C1,
    TopicId: T2,
    Type: 'Community',
    Operator_Account: 'admin',
    Name: 'Help',
  });
  await send(recorder, groupChange(G1, { Notification: 'Meetup on Friday' }, 'carol'), 'Web');
}

describe('the group page', () => {
  it('shows the current profile with when and by whom each field changed, and the history, live', async () => {
    const recorder = await harness.start();
    await world(recorder);
    const { page, errors } = await openPage(browser(), `${recorder.url}/`);
    await page.locator('li.change[data-seq="8"] a.target', { hasText: 'Night owls' }).click();
    await page.waitForURL(`${recorder.url}/groups/${enc(G1)}`);
    await page.locator('h1', { hasText: 'Night owls' }).waitFor();
    expect(await page.locator('.profile-head .id').textContent()).toBe(G1);

    const field = (name: string) => page.locator(`.field-row[data-field="${name}"]`);
    await field('Name').waitFor();
    expect(await field('Name').locator('dd').first().textContent()).toBe('Night owls');
    expect(await field('Name').locator('.provenance').textContent()).toMatch(
      /^\d{4}-\d\d-\d\d [\d:]{8} by admin #1$/,
    );
    expect(await field('Notification').locator('.provenance').textContent()).toMatch(/ by carol #8$/);
    expect(await field('customFields.Level').locator('dt').textContent()).toBe('Levelcustom');
    expect(await field('customFields.Level').locator('dd').first().textContent()).toBe('gold');
    const photo = field('FaceUrl').locator('img.thumb');
    expect(await photo.getAttribute('src')).toBe(`${PHOTOS}/owl.png`);
    expect(await photo.getAttribute('referrerpolicy')).toBe('no-referrer');
    await expect.poll(() => photo.evaluate((img: HTMLImageElement) => img.naturalWidth > 0)).toBe(true);
    expect(await page.locator('.topics-box').isHidden()).toBe(true);

    await page.locator('.history li.change[data-seq="8"]').waitFor();
    expect(await shownSeqs(page)).toEqual([8, 4, 1]);
    await waitLive(page);
    await send(recorder, groupChange(G1, { Name: 'Early birds' }, 'dave'), 'Mac');
    await page.locator('.history li.change[data-seq="9"]').waitFor({ timeout: 1000 });
    await page.locator('h1', { hasText: 'Early birds' }).waitFor();
    await field('Name').locator('.provenance', { hasText: 'by dave #9' }).waitFor();
    await page.screenshot({ path: join(resultsDir(), 'group-page.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('lists a community’s topics and shows a change that named no topic as such', async () => {
    const recorder = await harness.start();
    await world(recorder);
    const { page } = await openPage(browser(), `${recorder.url}/groups/${enc(C1)}`);
    await page.locator('h1', { hasText: 'Makers' }).waitFor();
    const topics = page.locator('.topics li');
    await topics.first().waitFor();
    expect(await topics.locator('.name').allTextContents()).toEqual(['Help', 'General chat']);
    expect(await topics.locator('.id').allTextContents()).toEqual([T2, T1]);
    await page.locator('.history li.change[data-seq="7"]').waitFor();
    expect(await shownSeqs(page)).toEqual([7, 6, 5, 3, 2]);
    const unknown = page.locator('li.change[data-seq="6"]');
    expect(await unknown.locator('.badge.warn').textContent()).toBe('topic unknown');
    expect(await unknown.locator('.badge.warn').getAttribute('title')).toContain('no TopicId');
    expect(await unknown.locator('a.target').count()).toBe(1);
    expect(await unknown.locator('.diff li[data-field="Notification"] .to').textContent()).toBe(
      'Which topic am I?',
    );
    expect(await page.locator('li.change[data-seq="5"] .badge.warn').count()).toBe(0);
    await topics.locator('a', { hasText: 'General chat' }).click();
    await page.waitForURL(`${recorder.url}/topics/${enc(T1)}`);
    await page.locator('h1', { hasText: 'General chat' }).waitFor();
  });
});

describe('the topic page', () => {
  it('shows the topic’s profile, its community and its history', async () => {
    const recorder = await harness.start();
    await world(recorder);
    const { page, errors } = await openPage(browser(), `${recorder.url}/topics/${enc(T1)}`);
    await page.locator('h1', { hasText: 'General chat' }).waitFor();
    expect(await page.locator('.profile-head .ids .id').textContent()).toBe(T1);
    await page.locator('.profile-head .community .name', { hasText: 'Makers' }).waitFor();
    expect(await page.locator('.profile-head .community a').getAttribute('href')).toBe(`/groups/${enc(C1)}`);
    await page.locator('.field-row[data-field="Name"] .provenance', { hasText: 'by bob #5' }).waitFor();
    await page.locator('.history li.change[data-seq="5"]').waitFor();
    expect(await shownSeqs(page)).toEqual([5, 3]);
    expect(await page.locator('li.change[data-seq="5"] .from').textContent()).toBe('General');
    await page.locator('.profile-head .community a').click();
    await page.waitForURL(`${recorder.url}/groups/${enc(C1)}`);
    await page.locator('h1', { hasText: 'Makers' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('says so when nothing of a topic was recorded', async () => {
    const recorder = await harness.start();
    const { page } = await openPage(browser(), `${recorder.url}/topics/${enc(T2)}`);
    await page.getByText('No profile of this topic has been recorded.').waitFor();
    await page.getByText('No change of it has been recorded.').waitFor();
  });
});

describe('the health page', () => {
  it('charts callbacks per minute and lists the refused ones with what to check', async () => {
    const recorder = await harness.start();
    await send(recorder, groupChange(G1, { Name: 'a' }));
    await send(recorder, groupChange(G1, { Name: 'b' }));
    await sendCallback(recorder, groupChange(G1, { Name: 'c' }), { token: 'not-the-token' });
    await sendCallback(recorder, groupChange(G1, { Name: 'd' }), { sdkAppId: '1400000999' });
    const { page, errors } = await openPage(browser(), `${recorder.url}/`);
    await page.locator('.health-strip .totals', { hasText: '2 in the last hour · 2 refused' }).waitFor();
    await page.locator('.health-strip').click();
    await page.waitForURL(`${recorder.url}/health`);
    const chart = page.locator('.health svg.chart');
    await chart.waitFor();
    expect(await chart.getAttribute('aria-label')).toBe(
      'Callbacks per minute over the last 60 minutes: 2 recorded, 2 refused',
    );
    expect(await chart.locator('g').count()).toBe(60);
    expect(await chart.locator('rect.ok').count()).toBeGreaterThanOrEqual(1);
    expect(await chart.locator('rect.bad').count()).toBeGreaterThanOrEqual(1);
    const rows = page.locator('table.refusals tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).locator('code').textContent()).toBe('SdkAppidMismatch');
    expect(await rows.nth(1).locator('code').textContent()).toBe('SignMismatch');
    expect(await rows.nth(1).locator('.hint').textContent()).toContain('differs from --token');
    expect(errors).toEqual([]);
  });
});

describe('at phone width', () => {
  it('fits the feed and a group page in 390 px without sideways scrolling', async () => {
    const recorder = await harness.start();
    await world(recorder);
    const { page } = await openPage(browser(), `${recorder.url}/`, {
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    await page.locator('li.change[data-seq="8"]').waitFor();
    await page.locator('li.change .name', { hasText: 'General chat' }).first().waitFor();
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(resultsDir(), 'feed-phone.png') });
    await page.goto(`${recorder.url}/groups/${enc(C1)}`);
    await page.locator('.topics li').first().waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
  });
});
