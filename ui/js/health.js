// Integration health: recorded callbacks per minute over the last hour (from the log, so a
// restart does not reset it), the refused ones, and the recent refusals with their reason: the
// first place to look when the console is misconfigured.

import { apiGet } from './api.js';
import { h, svg } from './dom.js';
import { formatAgo, formatTime } from './format.js';
import { createMirrorPanel } from './mirror.js';

/** What to check for each refusal code (src/receiver/errors.ts). */
const HINTS = {
  SignMissing: 'The console sends no Sign: set a callback token there, or start with --insecure-no-token.',
  SignMismatch: 'The token in the Chat console differs from --token.',
  StaleRequest: 'RequestTime is too far from this clock: check NTP on this machine, or --max-skew.',
  BadRequestTime: 'RequestTime is missing or not a number.',
  SdkAppidMismatch: 'The callback is for another app: check --sdk-appid against the console.',
  MissingSdkAppid: 'The URL has no SdkAppid: is something other than the Chat backend calling?',
  BodyNotJson: 'The body is not JSON.',
  BodyNotObject: 'The body is not a JSON object.',
  BodyTooLarge: 'The body is larger than --max-body.',
  SchemaViolation: 'The body does not have the documented fields.',
  CommandMismatch: 'CallbackCommand differs between the URL and the body.',
  MissingCommand: 'No CallbackCommand.',
  Overloaded: 'The disk could not keep up: the callback was shed.',
};

/**
 * A bar chart of `buckets` ({ start, count, refused }) as inline SVG: recorded callbacks, refused
 * ones stacked in red, one bar per bucket.
 */
export function renderRateChart(rate, { width = 600, height = 120, labels = true } = {}) {
  const buckets = rate.buckets;
  const max = Math.max(1, ...buckets.map((b) => b.count + b.refused));
  const top = 2;
  const bottom = 2;
  const plot = height - top - bottom;
  const step = width / buckets.length;
  const bar = Math.max(1, step - 1);
  const bars = buckets.map((b, i) => {
    const x = i * step;
    const okHeight = (b.count / max) * plot;
    const badHeight = (b.refused / max) * plot;
    return svg(
      'g',
      {},
      svg('title', {}, `${formatTime(b.start).slice(11, 16)}: ${b.count} recorded, ${b.refused} refused`),
      svg('rect', { class: 'hit', x, y: top, width: step, height: plot }),
      b.count > 0
        ? svg('rect', { class: 'ok', x, y: top + plot - okHeight, width: bar, height: okHeight })
        : null,
      b.refused > 0
        ? svg('rect', {
            class: 'bad',
            x,
            y: top + plot - okHeight - badHeight,
            width: bar,
            height: badHeight,
          })
        : null,
    );
  });
  const minutes = Math.round((rate.until - rate.since) / 60_000);
  const chart = svg(
    'svg',
    {
      class: 'chart',
      viewBox: `0 0 ${width} ${height}`,
      preserveAspectRatio: 'none',
      role: 'img',
      'aria-label': `Callbacks per minute over the last ${minutes} minutes: ${rate.total} recorded, ${rate.refused} refused`,
    },
    svg('line', { class: 'axis', x1: 0, x2: width, y1: top + plot + 0.5, y2: top + plot + 0.5 }),
    bars,
  );
  if (!labels) return chart;
  // Labels in HTML: the SVG stretches to the page's width, which would stretch its text too.
  return h(
    'figure',
    { class: 'rate' },
    h('span', { class: 'y-label' }, `max ${max} per minute`),
    chart,
    h('figcaption', {}, h('span', {}, `${minutes} min ago`), h('span', {}, 'now')),
  );
}

/** The small strip on the feed: last hour's totals and a sparkline, linking to the health page. */
export function renderHealthStrip() {
  const element = h('a', { class: 'health-strip', href: '/health', dataset: { link: '' } }, 'Health…');
  async function refresh() {
    try {
      const rate = await apiGet('/api/stats/rate');
      element.replaceChildren(
        renderRateChart(rate, { width: 120, height: 28, labels: false }),
        h(
          'span',
          { class: 'totals' },
          h('b', {}, String(rate.total)),
          ' in the last hour',
          rate.refused > 0 ? h('span', { class: 'refused' }, ` · ${rate.refused} refused`) : null,
        ),
      );
    } catch {
      // The feed says what is wrong; the strip just stays as it was.
    }
  }
  let soon;
  refresh();
  const timer = setInterval(refresh, 30_000);
  return {
    element,
    /** Refreshes in a few seconds (after a live change), once however many changes come. */
    refreshSoon() {
      soon ??= setTimeout(() => {
        soon = undefined;
        refresh();
      }, 3000);
    },
    stop() {
      clearInterval(timer);
      clearTimeout(soon);
    },
  };
}

function renderRefusals(refusals) {
  if (refusals.length === 0) {
    return h('p', { class: 'ok-note' }, 'No callback has been refused since the recorder started.');
  }
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'refusals' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['When', 'Reason', 'What to check', 'Command', 'SdkAppid', 'From'].map((t) => h('th', {}, t)),
        ),
      ),
      h(
        'tbody',
        {},
        refusals.map((r) =>
          h(
            'tr',
            {},
            h('td', { title: formatTime(r.at) }, formatAgo(r.at)),
            h('td', {}, h('code', {}, r.code), h('div', { class: 'message' }, r.message)),
            h('td', { class: 'hint' }, HINTS[r.code] ?? ''),
            h('td', {}, r.command ?? ''),
            h('td', {}, r.sdkAppId ?? ''),
            h(
              'td',
              {},
              r.remoteAddress ?? '',
              r.clientIp ? h('div', { class: 'message' }, `ClientIP ${r.clientIp}`) : null,
            ),
          ),
        ),
      ),
    ),
  );
}

/** Mounts the health page; returns the function that unmounts it. */
export function mountHealth(main) {
  const chart = h('div', { class: 'chart-box' }, 'Loading…');
  const totals = h('p', { class: 'totals' });
  const refusals = h('div', {}, 'Loading…');
  const mirror = createMirrorPanel();
  main.append(
    h(
      'section',
      { class: 'health' },
      h('h1', {}, 'Integration health'),
      h('h2', {}, 'Callbacks per minute, last hour'),
      totals,
      chart,
      mirror.element,
      h('h2', {}, 'Recent refused callbacks'),
      h(
        'p',
        { class: 'help' },
        'The last 200 callbacks the recorder answered FAIL since it started, newest first, with their reason (never the Sign or the body).',
      ),
      refusals,
    ),
  );
  async function refresh() {
    const [rate, refused] = await Promise.all([apiGet('/api/stats/rate'), apiGet('/api/refusals')]);
    chart.replaceChildren(renderRateChart(rate));
    totals.textContent = `${rate.total} recorded, ${rate.refused} refused in the last hour.`;
    refusals.replaceChildren(renderRefusals(refused.refusals));
  }
  const failed = (error) => main.dispatchEvent(new CustomEvent('failure', { detail: error }));
  refresh().catch(failed);
  const timer = setInterval(() => refresh().catch(failed), 10_000);
  return () => {
    clearInterval(timer);
    mirror.stop();
  };
}
