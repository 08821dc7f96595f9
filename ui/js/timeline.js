// A list of changes, newest first: the first page, "load older" down to the first change, and the
// live stream on top, with each seq shown once whatever the reconnects.

import { apiGet } from './api.js';
import { renderChange } from './change-row.js';
import { h } from './dom.js';
import { learnEvent } from './names.js';
import { followStream } from './sse.js';

const PAGE = 50;
/** Rows kept on the page; older ones are dropped (and "load older" brings them back). */
const MAX_ROWS = 2000;

/** Filters `/api/stream` applies itself; `search` and `field` are checked here. */
const STREAM_FILTERS = ['groupId', 'topicId', 'command', 'operator', 'kind', 'optPlatform', 'since', 'until'];

let liveState = () => {};

/** Where timelines report their stream's state (the header's indicator). */
export function onLiveState(listener) {
  liveState = listener;
}

/**
 * Creates a timeline of the events matching `filters` (the API's names). `onChange(event)` hears
 * each live change. Call `start()` once it is on the page, `stop()` when leaving.
 */
export function createTimeline({ filters = {}, empty = 'No change recorded yet.', onChange = () => {} }) {
  const list = h('ol', { class: 'changes', 'aria-live': 'polite' });
  const status = h('p', { class: 'timeline-status' }, 'Loading…');
  const older = h('button', { type: 'button', class: 'older', hidden: true }, 'Load older');
  const element = h('section', { class: 'timeline' }, list, status, older);
  const rows = new Map();
  let next = null;
  let stream = null;
  let stopped = false;

  function insert(event, animate) {
    if (rows.has(event.seq)) return;
    const row = renderChange(event);
    if (animate) row.classList.add('new');
    rows.set(event.seq, row);
    // Rows are kept in seq order, newest first; live rows nearly always go on top.
    let before = list.firstElementChild;
    while (before && Number(before.dataset.seq) > event.seq) before = before.nextElementSibling;
    list.insertBefore(row, before);
    if (status.dataset.empty === '1') status.hidden = true;
  }

  function trim() {
    while (rows.size > MAX_ROWS) {
      const last = list.lastElementChild;
      rows.delete(Number(last.dataset.seq));
      last.remove();
      next = Number(list.lastElementChild.dataset.seq);
      older.hidden = false;
      status.hidden = true;
    }
  }

  async function loadPage(before) {
    const query = { ...filters, limit: PAGE, ...(before === null ? { order: 'desc' } : { before }) };
    const page = await apiGet('/api/events', query);
    for (const event of page.events) insert(event, false);
    next = page.next;
    older.hidden = next === null;
    status.dataset.empty = rows.size === 0 ? '1' : '';
    if (rows.size === 0) {
      status.hidden = false;
      status.textContent = empty;
    } else if (next === null) {
      status.hidden = false;
      status.className = 'timeline-status end';
      status.textContent = 'The start of the history.';
    } else {
      status.hidden = true;
    }
    return page.events;
  }

  /** A live event passes `search` only if the server says so (the name is the server's to know). */
  async function passes(event) {
    if (filters.field) {
      const fields = [
        ...Object.keys(event.changes ?? {}).filter((k) => k !== 'customFields'),
        ...Object.keys(event.changes?.customFields ?? {}).map((k) => `customFields.${k}`),
      ];
      const ok =
        filters.field === 'customFields'
          ? fields.some((f) => f.startsWith('customFields.'))
          : fields.includes(filters.field);
      if (!ok) return false;
    }
    if (!filters.search) return true;
    const page = await apiGet('/api/events', { ...filters, after: event.seq - 1, limit: 1 });
    return page.events[0]?.seq === event.seq;
  }

  older.addEventListener('click', async () => {
    older.disabled = true;
    try {
      await loadPage(next);
    } catch (error) {
      status.hidden = false;
      status.textContent = `Could not load older changes: ${error.message}`;
    } finally {
      older.disabled = false;
    }
  });

  return {
    element,
    async start() {
      // Where the log ends before the first page is read: the stream starts there, so a filter
      // that matches nothing yet does not replay the whole log (what is in between comes twice
      // at most, and is shown once).
      const head = await fetch('/readyz', { cache: 'no-store' })
        .then((r) => (r.ok ? r.json() : { lastSeq: 0 }))
        .then((body) => Number(body.lastSeq) || 0)
        .catch(() => 0);
      const first = await loadPage(null);
      if (stopped) return;
      const streamParams = {};
      for (const name of STREAM_FILTERS) if (filters[name]) streamParams[name] = filters[name];
      stream = followStream({
        params: streamParams,
        lastId: Math.max(head, first[0]?.seq ?? 0),
        onState: (state) => liveState(state),
        onEvent: async (event) => {
          learnEvent(event);
          if (!(await passes(event)) || stopped) return;
          insert(event, true);
          trim();
          onChange(event);
        },
      });
    },
    stop() {
      stopped = true;
      stream?.stop();
      liveState('idle');
    },
  };
}
