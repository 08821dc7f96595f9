// The page of a group or a topic: its current profile with when and by whom each field last
// changed, a community's topics, and its whole history as a live timeline.

import { ApiError, apiGet, enc } from './api.js';
import { renderValue } from './change-row.js';
import { clear, h, link, photo } from './dom.js';
import { compareFields, fieldLabel, formatAgo, formatTime, profilePath } from './format.js';
import { learnProfile, nameSlot } from './names.js';
import { createTimeline } from './timeline.js';

function renderFields(body) {
  const fields = Object.entries(body.fields ?? {}).sort(([a], [b]) => compareFields(a, b));
  if (fields.length === 0) {
    return h('p', { class: 'help' }, 'No profile field has been recorded yet.');
  }
  return h(
    'dl',
    { class: 'fields' },
    fields.map(([field, state]) => {
      const { label, custom } = fieldLabel(field);
      return h(
        'div',
        { class: 'field-row', dataset: { field } },
        h('dt', {}, label, custom ? h('span', { class: 'tag' }, 'custom') : null),
        h(
          'dd',
          {},
          field === 'FaceUrl' ? photo(state.value, 48) : renderValue(field, state.value, 'current'),
        ),
        h(
          'dd',
          {
            class: 'provenance',
            // A value with no operator may have come from the REST API: see markRestFields.
            dataset: !state.operator && state.seq !== null ? { noOperatorSeq: state.seq } : {},
          },
          h(
            'time',
            {
              datetime: new Date(state.changedAt).toISOString(),
              title: state.eventTime !== null ? `EventTime ${formatTime(state.eventTime)}` : 'no EventTime',
            },
            formatTime(state.changedAt),
          ),
          state.operator
            ? [' by ', h('b', {}, state.operator)]
            : h('span', { class: 'who' }, ' (operator unknown)'),
          state.seq !== null ? h('span', { class: 'seq' }, ` #${state.seq}`) : null,
        ),
      );
    }),
  );
}

/** The commands of the values the recorder read from the REST API. */
const REST_VALUE_COMMANDS = ['timhook.Snapshot', 'timhook.Reconciled'];

/** Marks the fields whose value was read from the REST API (no operator: no callback told it). */
async function markRestFields(container, kind, id) {
  const rows = [...container.querySelectorAll('.provenance[data-no-operator-seq]')];
  if (rows.length === 0) return;
  const scope = kind === 'topic' ? { topicId: id } : { groupId: id };
  const pages = await Promise.all(
    REST_VALUE_COMMANDS.map((command) =>
      apiGet('/api/events', { ...scope, command, order: 'desc', limit: 1000 }),
    ),
  );
  const fromRest = new Map(pages.flatMap((page) => page.events.map((event) => [event.seq, event])));
  for (const row of rows) {
    const event = fromRest.get(Number(row.dataset.noOperatorSeq));
    if (!event) continue;
    row.querySelector('.who')?.replaceWith(
      ' ',
      h(
        'span',
        {
          class: 'badge rest',
          title:
            'Read from the Chat REST API by the recorder’s mirror; no callback told it, so there is no operator.',
        },
        event.command === 'timhook.Snapshot' ? 'snapshot from REST' : 'repaired from REST',
      ),
    );
  }
}

function renderTopics(topics) {
  if (topics.length === 0) return h('p', { class: 'help' }, 'No topic of this community has been recorded.');
  return h(
    'ul',
    { class: 'topics' },
    topics.map((topic) =>
      h(
        'li',
        { class: topic.destroyedAt !== null ? 'destroyed' : '' },
        link(
          profilePath('topic', topic.topicId),
          {},
          nameSlot('topic', topic.topicId, '(no name)'),
          h('code', { class: 'id' }, topic.topicId),
        ),
        h(
          'span',
          { class: 'help' },
          `changed ${formatAgo(topic.lastChangedAt)}`,
          topic.destroyedAt !== null ? ' · destroyed' : '',
        ),
      ),
    ),
  );
}

function renderHead(kind, id, body) {
  const facts = [];
  if (body) {
    if (body.groupType) facts.push(h('span', { class: 'badge' }, body.groupType));
    if (body.destroyedAt !== null) {
      facts.push(h('span', { class: 'badge destroyed' }, `destroyed ${formatTime(body.destroyedAt)}`));
    }
    if (body.createdAt !== null) facts.push(h('span', {}, `created ${formatTime(body.createdAt)}`));
    facts.push(
      h(
        'span',
        {},
        `${body.changeCount} change${body.changeCount === 1 ? '' : 's'}, last ${formatAgo(body.lastChangedAt)}`,
      ),
    );
  }
  return h(
    'header',
    { class: 'profile-head' },
    h('p', { class: 'crumbs' }, link('/', {}, 'Changes'), ' / ', kind === 'topic' ? 'topic' : 'group'),
    h('h1', {}, nameSlot(kind, id, kind === 'topic' ? '(unnamed topic)' : '(unnamed group)')),
    h('p', { class: 'ids' }, h('code', { class: 'id' }, id)),
    kind === 'topic' && body
      ? h(
          'p',
          { class: 'community' },
          'Topic of ',
          link(
            profilePath('group', body.groupId),
            {},
            nameSlot('group', body.groupId, 'its community'),
            ' ',
            h('code', { class: 'id' }, body.groupId),
          ),
        )
      : null,
    h('p', { class: 'facts' }, facts),
  );
}

/** Mounts the page of the group or topic `id`; returns the function that unmounts it. */
export function mountProfile(main, kind, id) {
  const head = h('div', {}, renderHead(kind, id, null));
  const profile = h('section', { class: 'profile' }, h('p', { class: 'help' }, 'Loading…'));
  const topics = h('section', { class: 'topics-box', hidden: true });
  let timer;
  async function refresh() {
    let body = null;
    try {
      body = await apiGet(`/api/${kind === 'topic' ? 'topics' : 'groups'}/${enc(id)}`);
      learnProfile(body);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
    head.replaceChildren(renderHead(kind, id, body));
    clear(profile).append(h('h2', {}, 'Current profile'));
    if (body) {
      profile.append(renderFields(body));
      // Without the marks the rows still say what is known: no operator.
      await markRestFields(profile, kind, id).catch(() => {});
    } else {
      profile.append(
        h(
          'p',
          { class: 'help' },
          kind === 'group'
            ? 'No profile of this group has been recorded: no change named it directly (its topics may have changed, see below).'
            : 'No profile of this topic has been recorded.',
        ),
      );
    }
    if (kind === 'group' && body && (body.groupType === 'Community' || body.topics?.length > 0)) {
      topics.hidden = false;
      topics.replaceChildren(h('h2', {}, 'Topics'), renderTopics(body.topics ?? []));
    }
  }
  const failed = (error) => main.dispatchEvent(new CustomEvent('failure', { detail: error }));
  const timeline = createTimeline({
    filters: kind === 'topic' ? { topicId: id } : { groupId: id },
    empty: 'No change of it has been recorded.',
    onChange: () => {
      clearTimeout(timer);
      timer = setTimeout(() => refresh().catch(failed), 250);
    },
  });
  main.append(
    h(
      'article',
      { class: `profile-page ${kind}` },
      head,
      h('div', { class: 'profile-grid' }, profile, topics),
      h(
        'section',
        { class: 'history' },
        h('h2', {}, 'History'),
        kind === 'group'
          ? h(
              'p',
              { class: 'help' },
              'Every change, newest first; for a community, its topics’ too. A topic change whose callback named no topic (TopicId is not in the documented body) is marked “topic unknown”.',
            )
          : null,
        timeline.element,
      ),
    ),
  );
  refresh().catch(failed);
  timeline.start().catch(failed);
  return () => {
    clearTimeout(timer);
    timeline.stop();
  };
}
