// The profile mirror's panel: the running or last reconciliation pass (live from the stream's
// `reconcile` frames, and from GET /api/reconcile on load and on each reconnect), and a button
// that starts one (POST /api/reconcile). Without REST settings it says how to turn the mirror on.

import { apiFetch, apiGet } from './api.js';
import { h } from './dom.js';
import { formatAgo, formatTime } from './format.js';
import { followStream } from './sse.js';

const PHASES = {
  groups: 'walking the group list',
  sweep: 'checking mirrored groups the list did not hold',
  done: 'done',
};

/** The counts a pass shows, with what each means. */
const COUNTS = [
  ['drifted', 'Profiles that differed from the REST API (fields, or gone)'],
  ['fixed', 'Differences recorded as “repaired from REST” changes'],
  ['filled', 'Profiles the recorder had never seen, recorded whole'],
  ['vanished', 'Groups and topics closed because the REST API no longer has them'],
  ['failed', 'Groups and topics that could not be checked (a failed call); nothing recorded'],
];

function renderProgress(pass) {
  const done = pass.scanned + pass.swept;
  const total = pass.total === null ? null : Math.max(pass.total, done);
  const finished = pass.status !== 'running';
  const bar = h('progress', {
    class: 'pass-bar',
    max: total ?? 1,
    'aria-label': 'Groups scanned',
  });
  // A progress element without a value is indeterminate: the total is not known yet.
  if (total !== null) bar.value = finished && pass.status === 'done' ? total : Math.min(done, total);
  else if (finished) bar.value = 1;
  return h(
    'div',
    { class: 'pass-progress' },
    bar,
    h(
      'span',
      { class: 'scanned' },
      `scanned ${done}${total !== null ? ` of ${total}` : ''} groups`,
      pass.topicsScanned > 0 ? `, ${pass.topicsScanned} topics` : '',
    ),
  );
}

function renderPass(pass, running) {
  const status = running ? 'running' : pass.status;
  return [
    h(
      'p',
      { class: 'pass-head' },
      h('span', { class: `badge pass-status ${status}` }, status),
      running ? h('span', { class: 'phase' }, PHASES[pass.phase] ?? pass.phase) : null,
      h(
        'span',
        { class: 'help' },
        `started by ${pass.trigger}`,
        pass.resumed > 0 ? `, resumed ${pass.resumed}×` : '',
      ),
    ),
    renderProgress(pass),
    h(
      'dl',
      { class: 'pass-counts' },
      COUNTS.map(([key, title]) =>
        h(
          'div',
          { class: `count ${key}${pass[key] > 0 ? ' nonzero' : ''}`, dataset: { count: key }, title },
          h('dt', {}, key),
          h('dd', {}, String(pass[key])),
        ),
      ),
    ),
    h(
      'p',
      { class: 'help pass-times' },
      'Started ',
      h(
        'time',
        { datetime: new Date(pass.startedAt).toISOString(), title: formatTime(pass.startedAt) },
        formatAgo(pass.startedAt),
      ),
      pass.finishedAt !== null
        ? [
            ', finished ',
            h(
              'time',
              { datetime: new Date(pass.finishedAt).toISOString(), title: formatTime(pass.finishedAt) },
              formatTime(pass.finishedAt),
            ),
            ` (${((pass.finishedAt - pass.startedAt) / 1000).toFixed(1)} s)`,
          ]
        : null,
      '.',
    ),
    pass.error ? h('p', { class: 'pass-error' }, pass.error) : null,
  ];
}

const NOT_CONFIGURED = [
  'This recorder records callbacks only. To fill every group’s and topic’s profile and repair lost callbacks from the Chat REST API, start it with ',
  h('code', {}, '--rest-admin'),
  ', ',
  h('code', {}, '--rest-secret-key'),
  ' (or ',
  h('code', {}, 'TIMHOOK_REST_SECRET_KEY'),
  ') and ',
  h('code', {}, '--rest-region'),
  ' or ',
  h('code', {}, '--rest-url'),
  '; add ',
  h('code', {}, '--reconcile-every 6h'),
  ' for regular passes.',
];

/** Whether `pass` is as far as `shown` (the same pass), or further: finished, or more checked. */
function isNewerOrSame(pass, shown) {
  if (shown.status !== 'running') return pass.status !== 'running';
  if (pass.status !== 'running') return true;
  return pass.scanned + pass.swept >= shown.scanned + shown.swept;
}

/** The mirror panel of the health page: `{ element, stop }`. */
export function createMirrorPanel() {
  const body = h('div', { class: 'pass' }, 'Loading…');
  const message = h('p', { class: 'pass-message', role: 'status' });
  const button = h('button', { type: 'button', class: 'reconcile-now', hidden: true }, 'Reconcile now');
  const element = h(
    'section',
    { class: 'mirror', 'aria-labelledby': 'mirror-title' },
    h(
      'div',
      { class: 'mirror-head' },
      h('h2', { id: 'mirror-title' }, 'Profile mirror (REST reconciliation)'),
      button,
    ),
    h(
      'p',
      { class: 'help' },
      'A pass compares every profile with the Chat REST API and records each difference, so values lost with a callback are repaired.',
    ),
    body,
    message,
  );
  let configured = null;
  let running = false;
  let shownId = null;
  let shownPass = null;

  function show(pass, isRunning) {
    // The POST's answer can arrive after the stream's later frames of the same pass (a short pass
    // is done before its answer is read): an older state of the pass shown never replaces it.
    if (pass && shownPass && pass.id === shownPass.id && !isNewerOrSame(pass, shownPass)) return;
    running = isRunning;
    button.disabled = running;
    if (!pass) {
      body.replaceChildren(h('p', { class: 'help' }, 'No reconciliation pass has run yet.'));
      return;
    }
    shownId = pass.id;
    shownPass = pass;
    body.replaceChildren(...renderPass(pass, running).filter(Boolean));
  }

  async function load() {
    const answer = await apiGet('/api/reconcile');
    configured = answer.configured;
    button.hidden = !configured;
    if (!configured) {
      body.replaceChildren(h('p', { class: 'help not-configured' }, ...NOT_CONFIGURED));
      return;
    }
    show(answer.pass, answer.running);
  }

  button.addEventListener('click', async () => {
    button.disabled = true;
    message.textContent = '';
    try {
      const response = await apiFetch('/api/reconcile', { method: 'POST' });
      const answer = await response.json();
      if (!answer.started) message.textContent = 'A pass is already running: showing it.';
      show(answer.pass, answer.pass.status === 'running');
    } catch (error) {
      message.textContent = `Could not start a pass: ${error instanceof Error ? error.message : String(error)}`;
      button.disabled = running;
    }
  });

  const failed = (error) => {
    body.replaceChildren(
      h(
        'p',
        { class: 'pass-error' },
        `Could not load: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  };
  load().catch(failed);
  const stream = followStream({
    params: {},
    lastId: null,
    onEvent: () => {},
    onReconcile(pass) {
      if (configured === false) return;
      // A later frame of the pass shown, or a new pass: either is the news.
      if (pass.id !== 'starting' || shownId === null) show(pass, pass.status === 'running');
    },
    onState(state) {
      // Frames missed while the stream was down: the GET has the pass as it stands.
      if (state === 'live') load().catch(failed);
    },
  });
  return { element, stop: () => stream.stop() };
}
