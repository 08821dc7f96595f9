// The live feed with its filters. The filters live in the URL (`/?operator=alice&field=Name`), with
// the API's parameter names, so a view can be shared and the back button undoes a filter.

import { apiFetch, hasToken, withQuery } from './api.js';
import { h } from './dom.js';
import { COMMAND_NAMES, PLATFORMS, toLocalInput } from './format.js';
import { renderHealthStrip } from './health.js';
import { createTimeline } from './timeline.js';

/** The filters, as URL and API parameters. */
export const FILTERS = [
  'search',
  'groupId',
  'topicId',
  'operator',
  'optPlatform',
  'field',
  'kind',
  'command',
  'since',
  'until',
];

/** The filters set in `search` (a URL query string). */
export function readFilters(search) {
  const params = new URLSearchParams(search);
  const filters = {};
  for (const name of FILTERS) {
    const value = params.get(name)?.trim();
    if (value) filters[name] = value;
  }
  return filters;
}

function datalist(id, values) {
  return h(
    'datalist',
    { id },
    values.map((value) => h('option', { value })),
  );
}

function input(name, label, value, props = {}) {
  return h(
    'label',
    { class: `filter f-${name}` },
    h('span', {}, label),
    h('input', { name, value: value ?? '', autocomplete: 'off', spellcheck: 'false', ...props }),
  );
}

function select(name, label, value, options) {
  return h(
    'label',
    { class: `filter f-${name}` },
    h('span', {}, label),
    h(
      'select',
      { name },
      options.map(([optionValue, text]) =>
        h('option', { value: optionValue, selected: optionValue === (value ?? '') }, text),
      ),
    ),
  );
}

function timeValue(iso) {
  const ms = Date.parse(iso ?? '');
  return Number.isFinite(ms) ? toLocalInput(ms) : '';
}

function renderForm(filters, onApply) {
  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    input('search', 'Search', filters.search, {
      type: 'search',
      placeholder: 'name or id of a group or topic',
      class: 'wide',
    }),
    input('operator', 'Operator', filters.operator, { placeholder: 'account' }),
    input('optPlatform', 'Platform', filters.optPlatform, { list: 'platforms', placeholder: 'any' }),
    input('field', 'Field', filters.field, { list: 'fields', placeholder: 'any' }),
    select('kind', 'Kind', filters.kind, [
      ['', 'any'],
      ['group', 'group'],
      ['topic', 'topic'],
    ]),
    h(
      'details',
      {
        class: 'more',
        open: Boolean(
          filters.groupId || filters.topicId || filters.command || filters.since || filters.until,
        ),
      },
      h('summary', {}, 'More filters'),
      h(
        'div',
        { class: 'more-fields' },
        input('groupId', 'Group id', filters.groupId, { placeholder: '@TGS#…' }),
        input('topicId', 'Topic id', filters.topicId, { placeholder: '…@TOPIC#…' }),
        input('command', 'Command', filters.command, { list: 'commands', placeholder: 'any' }),
        input('since', 'From', timeValue(filters.since), { type: 'datetime-local' }),
        input('until', 'To', timeValue(filters.until), { type: 'datetime-local' }),
      ),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit' }, 'Apply'),
      h('button', { type: 'reset', class: 'secondary' }, 'Clear'),
    ),
    datalist('platforms', PLATFORMS),
    datalist('fields', ['Name', 'Introduction', 'Notification', 'FaceUrl', 'customFields']),
    datalist('commands', COMMAND_NAMES),
  );
  const read = () => {
    const data = new FormData(form);
    const next = {};
    for (const name of FILTERS) {
      let value = String(data.get(name) ?? '').trim();
      if ((name === 'since' || name === 'until') && value !== '') {
        const ms = new Date(value).getTime();
        value = Number.isFinite(ms) ? new Date(ms).toISOString() : '';
      }
      if (value !== '') next[name] = value;
    }
    return next;
  };
  let typing;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(typing);
    onApply(read());
  });
  form.addEventListener('reset', (event) => {
    event.preventDefault();
    clearTimeout(typing);
    for (const field of form.elements) if (field.name) field.value = '';
    onApply({});
  });
  form.addEventListener('change', (event) => {
    if (event.target.name !== 'search') onApply(read());
  });
  form.addEventListener('input', (event) => {
    if (event.target.name !== 'search') return;
    clearTimeout(typing);
    typing = setTimeout(() => onApply(read()), 400);
  });
  return form;
}

/** Downloads `/api/export` with the token (a plain link cannot send the Authorization header). */
async function download(href, event) {
  if (!hasToken()) return; // the link downloads by itself
  event.preventDefault();
  const response = await apiFetch(href);
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'timhook-changes';
  const url = URL.createObjectURL(await response.blob());
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function renderExport(filters) {
  const href = (format) => withQuery('/api/export', { format, ...filters });
  const button = (format, text) =>
    h(
      'a',
      {
        class: 'button secondary',
        href: href(format),
        download: '',
        onclick: (e) => download(href(format), e),
      },
      text,
    );
  return h(
    'div',
    { class: 'export' },
    h('span', {}, 'Export these changes:'),
    button('csv', 'CSV'),
    button('jsonl', 'JSON lines'),
  );
}

/**
 * Mounts the feed in `main`; returns the function that unmounts it. A change of filter pushes the
 * URL (`pushUrl`, false when it is already there) and reloads the list, leaving the form as typed.
 */
export function mountFeed(main, { search, pushUrl }) {
  let timeline = null;
  const strip = renderHealthStrip();
  const title = h('h1');
  const exportBox = h('div');
  const listBox = h('div');
  const failed = (error) => main.dispatchEvent(new CustomEvent('failure', { detail: error }));

  function show(filters) {
    timeline?.stop();
    const active = Object.keys(filters).length > 0;
    title.textContent = active ? 'Changes (filtered)' : 'Changes';
    timeline = createTimeline({
      filters,
      empty: active
        ? 'No change matches these filters.'
        : 'No change recorded yet. Send a callback to see it here.',
      onChange: () => strip.refreshSoon(),
    });
    exportBox.replaceChildren(renderExport(filters));
    listBox.replaceChildren(timeline.element);
    timeline.start().catch(failed);
  }

  const filters = readFilters(search);
  main.append(
    h(
      'section',
      { class: 'feed' },
      h('div', { class: 'feed-head' }, title, strip.element),
      renderForm(filters, (next) => {
        if (pushUrl(withQuery('/', next))) show(next);
      }),
      exportBox,
      listBox,
    ),
  );
  show(filters);
  return () => {
    timeline?.stop();
    strip.stop();
  };
}
