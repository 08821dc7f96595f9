// The dashboard: a small router over four views, `/` (the feed), `/health`, `/groups/{id}` and
// `/topics/{id}`, with real URLs (the recorder answers index.html on each).

import { ApiError } from './api.js';
import { clear } from './dom.js';
import { mountFeed } from './feed.js';
import { mountHealth } from './health.js';
import { mountProfile } from './profile.js';
import { onLiveState } from './timeline.js';

const main = document.getElementById('main');
const notice = document.getElementById('notice');
const live = document.getElementById('live');
let unmount = () => {};

const LIVE_LABELS = {
  idle: '',
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
};

onLiveState((state) => {
  live.dataset.state = state;
  live.querySelector('.label').textContent = LIVE_LABELS[state] ?? state;
  live.title = state === 'reconnecting' ? 'The stream dropped; resuming from the last change seen' : '';
});

function showNotice(text) {
  notice.hidden = text === '';
  notice.textContent = text;
}

main.addEventListener('failure', (event) => {
  const error = event.detail;
  if (error instanceof ApiError && error.code === 'loopback_only') {
    showNotice(
      'This recorder answers its own machine only. Open the dashboard there, or start the recorder with --api-token.',
    );
  } else {
    showNotice(`Could not load: ${error instanceof Error ? error.message : String(error)}`);
  }
});

function render() {
  unmount();
  clear(main);
  showNotice('');
  const { pathname, search } = window.location;
  const match = /^\/(groups|topics)\/([^/]+)$/.exec(pathname);
  for (const a of document.querySelectorAll('[data-nav]')) {
    const current = (a.dataset.nav === 'health') === (pathname === '/health') && !match;
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (match) {
    let id;
    try {
      id = decodeURIComponent(match[2]);
    } catch {
      showNotice('That address holds a badly encoded id.');
      return;
    }
    const kind = match[1] === 'topics' ? 'topic' : 'group';
    document.title = `${kind} ${id} · timhook`;
    unmount = mountProfile(main, kind, id);
  } else if (pathname === '/health') {
    document.title = 'Health · timhook';
    unmount = mountHealth(main);
  } else {
    document.title = 'Changes · timhook';
    unmount = mountFeed(main, { search, pushUrl });
  }
}

/** Pushes an app path into the history; false when the page is already there. */
function pushUrl(path) {
  const next = new URL(path, window.location.href);
  if (next.pathname + next.search === window.location.pathname + window.location.search) return false;
  window.history.pushState(null, '', next.pathname + next.search);
  return true;
}

/** Goes to an app path, unless it is where the page already is. */
function navigate(path) {
  if (!pushUrl(path)) return;
  window.scrollTo(0, 0);
  render();
}

document.addEventListener('click', (event) => {
  const a = event.target instanceof Element ? event.target.closest('a[data-link]') : null;
  if (!a || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(a.getAttribute('href'));
});

// The header's links are plain anchors in the HTML: route them too.
for (const a of document.querySelectorAll('.top a')) a.dataset.link = '';

window.addEventListener('popstate', render);
render();
