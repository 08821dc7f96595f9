// The current names of groups and topics, fetched once each and kept up to date from the changes
// the page sees. Every place that shows a name registers a text slot that is refilled on a rename.

import { ApiError, apiGet, enc } from './api.js';
import { h } from './dom.js';

/** key `group:<id>` / `topic:<id>` → { name: string | null | undefined, slots: Set<HTMLElement> } */
const entries = new Map();
const queue = [];
let running = 0;
const MAX_PARALLEL = 4;

function entry(kind, id) {
  const key = `${kind}:${id}`;
  let found = entries.get(key);
  if (!found) {
    found = { kind, id, name: undefined, slots: new Set(), loading: false };
    entries.set(key, found);
  }
  return found;
}

function paint(found) {
  for (const slot of found.slots) {
    // A slot that was on the page and is gone (its row was dropped) is forgotten.
    if (!slot.isConnected && slot.dataset.seen === '1') {
      found.slots.delete(slot);
      continue;
    }
    if (slot.isConnected) slot.dataset.seen = '1';
    slot.textContent = found.name ?? slot.dataset.fallback ?? '';
    slot.classList.toggle('unnamed', found.name === null || found.name === undefined);
  }
}

/** Records a name the page learnt (a profile it loaded, a change it saw). */
export function setName(kind, id, name) {
  const found = entry(kind, id);
  found.name = name;
  paint(found);
}

/** Learns names from a profile answer of the API (`/api/groups/{id}`, with its topics). */
export function learnProfile(body) {
  const id = body.kind === 'topic' ? body.topicId : body.groupId;
  setName(body.kind, id, body.profile?.Name ?? null);
  for (const topic of body.topics ?? []) setName('topic', topic.topicId, topic.profile?.Name ?? null);
}

/** Learns a rename from a recorded change (unless it arrived late and lost to a newer one). */
export function learnEvent(event) {
  const rename = event.diff.find((d) => d.field === 'Name');
  if (!rename || event.superseded?.includes('Name')) return;
  if (event.kind === 'topic' && event.topicId) setName('topic', event.topicId, rename.to);
  else if (event.kind === 'group' && event.groupId) setName('group', event.groupId, rename.to);
}

async function load(found) {
  try {
    const body = await apiGet(`/api/${found.kind === 'topic' ? 'topics' : 'groups'}/${enc(found.id)}`);
    learnProfile(body);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) setName(found.kind, found.id, null);
    else found.loading = false; // try again next time it is shown
  }
}

function pump() {
  while (running < MAX_PARALLEL && queue.length > 0) {
    const next = queue.shift();
    running++;
    load(next).finally(() => {
      running--;
      pump();
    });
  }
}

/**
 * A span showing the current name of a group or topic (`fallback` until it is known, or when it
 * has none); fetched in the background the first time.
 */
export function nameSlot(kind, id, fallback = '') {
  const found = entry(kind, id);
  const slot = h('span', { class: 'name', dataset: { fallback } });
  found.slots.add(slot);
  slot.textContent = found.name ?? fallback;
  slot.classList.toggle('unnamed', found.name === null || found.name === undefined);
  if (found.name === undefined && !found.loading) {
    found.loading = true;
    queue.push(found);
    pump();
  }
  return slot;
}
