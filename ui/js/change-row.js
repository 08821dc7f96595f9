// One recorded change as a readable row: when, what (current name and id), who, from where, and
// each field from → to. Every value is text (see dom.js).

import { h, link, photo } from './dom.js';
import {
  commandLabel,
  compareFields,
  fieldLabel,
  formatShortTime,
  formatTime,
  isFromRest,
  profilePath,
} from './format.js';
import { nameSlot } from './names.js';

/** Texts longer than this (or on several lines) are folded. */
const FOLD_AT = 90;

/** A value of a diff: unknown (never seen), empty, a photo, folded long text, or text. */
export function renderValue(field, value, side) {
  if (value === null) {
    return h(
      'em',
      {
        class: 'value unknown',
        title: 'The first change seen of this field: its old value was never recorded',
      },
      'unknown',
    );
  }
  if (value === '') return h('em', { class: 'value empty' }, 'empty');
  if (field === 'FaceUrl') return photo(value);
  if (value.length > FOLD_AT || value.includes('\n')) {
    return h(
      'details',
      { class: `value fold ${side}` },
      h('summary', {}, `${value.slice(0, 60).replace(/\s+/g, ' ')}…`),
      h('div', { class: 'full' }, value),
    );
  }
  return h('span', { class: `value ${side}` }, value);
}

function renderDiff(event) {
  const diff = [...event.diff].sort((a, b) => compareFields(a.field, b.field));
  // A creation sets its fields, a snapshot records a profile never seen: no "before" to show.
  const created = ['created', 'snapshot'].includes(commandLabel(event.command));
  return h(
    'ul',
    { class: 'diff' },
    diff.map((change) => {
      const { label, custom } = fieldLabel(change.field);
      return h(
        'li',
        { dataset: { field: change.field } },
        h('span', { class: 'field' }, label, custom ? h('span', { class: 'tag' }, 'custom') : null),
        h(
          'span',
          { class: 'fromto' },
          created && change.from === null
            ? null
            : [
                renderValue(change.field, change.from, 'from'),
                h('span', { class: 'arrow', 'aria-label': 'to' }, '→'),
              ],
          renderValue(change.field, change.to, 'to'),
        ),
      );
    }),
  );
}

/** What to say when a change changed no field. */
function noDiffNote(event) {
  const label = commandLabel(event.command);
  if (label === 'destroyed' && event.command === 'timhook.Vanished') {
    return `${event.kind} no longer exists (the REST API does not know it)`;
  }
  if (label === 'destroyed') {
    const ids = Array.isArray(event.raw?.TopicIdList) ? event.raw.TopicIdList : null;
    if (event.kind === 'topic' && ids && ids.length !== 1) {
      return `${ids.length} topics destroyed`;
    }
    return `${event.kind} destroyed`;
  }
  if (Object.keys(event.changes ?? {}).length === 0) return 'no profile field in this callback';
  return 'no field changed: the values were already these';
}

/** The group or topic a change is about: its current name and id, linking to its page. */
export function renderTarget(event) {
  const parts = [];
  if (event.kind === 'topic' && event.topicId) {
    parts.push(
      link(
        profilePath('topic', event.topicId),
        { class: 'target' },
        nameSlot('topic', event.topicId, 'topic'),
        h('code', { class: 'id' }, event.topicId),
      ),
    );
  }
  if (event.groupId) {
    parts.push(
      link(
        profilePath('group', event.groupId),
        { class: event.kind === 'topic' ? 'target community' : 'target' },
        event.kind === 'topic' ? h('span', { class: 'in' }, 'in ') : null,
        nameSlot('group', event.groupId, event.kind === 'topic' ? 'community' : 'group'),
        event.kind === 'topic' && event.topicId ? null : h('code', { class: 'id' }, event.groupId),
      ),
    );
  }
  if (event.kind === 'topic' && !event.topicId && commandLabel(event.command) === 'changed') {
    parts.unshift(
      h(
        'span',
        {
          class: 'badge warn',
          title:
            'The callback carried no TopicId (as documented, docs/protocol.md §2): the change belongs to a topic of this community, but which one is not known.',
        },
        'topic unknown',
      ),
    );
  }
  return h('span', { class: 'targets' }, parts);
}

/** Where a change from the REST API came from, for its badge's tooltip. */
function restTitle(event) {
  const api = typeof event.raw?.api === 'string' ? ` (${event.raw.api})` : '';
  const what = {
    snapshot: 'The profile as the Chat REST API answered it the first time the recorder saw this',
    repaired:
      'A reconciliation pass found these values differing from the Chat REST API (a lost callback, or a change with none) and set them',
    destroyed: 'A reconciliation pass found that the Chat REST API no longer has it',
  }[commandLabel(event.command)];
  return `${what ?? 'Read from the Chat REST API'}${api}; no callback told it, so there is no operator.`;
}

/** A row of the feed or of a timeline. */
export function renderChange(event) {
  const label = commandLabel(event.command);
  const when = h(
    'time',
    {
      datetime: new Date(event.receivedAt).toISOString(),
      title: `received ${formatTime(event.receivedAt)}${
        event.eventTime !== null ? `; EventTime ${formatTime(event.eventTime)}` : '; no EventTime'
      }`,
    },
    formatShortTime(event.receivedAt),
  );
  const who = h(
    'span',
    { class: 'who' },
    isFromRest(event)
      ? h(
          'span',
          { class: 'badge rest', title: restTitle(event) },
          label === 'snapshot'
            ? 'snapshot from REST'
            : label === 'repaired'
              ? 'repaired from REST'
              : 'per REST',
        )
      : event.operator
        ? ['by ', h('b', { class: 'operator' }, event.operator)]
        : h('em', {}, 'operator unknown'),
    event.optPlatform
      ? h('span', { class: 'platform', title: event.clientIp ?? '' }, event.optPlatform)
      : null,
  );
  const body = event.diff.length > 0 ? renderDiff(event) : h('p', { class: 'no-diff' }, noDiffNote(event));
  return h(
    'li',
    { class: `change ${label}`, dataset: { seq: event.seq, kind: event.kind } },
    h(
      'div',
      { class: 'meta' },
      when,
      h('span', { class: `badge kind ${event.kind}` }, event.kind),
      // A change from REST says what it is in its source badge.
      ['changed', 'snapshot', 'repaired'].includes(label)
        ? null
        : h('span', { class: `badge ${label}` }, label),
      renderTarget(event),
      who,
      h('span', { class: 'seq', title: event.command }, `#${event.seq}`),
    ),
    body,
    event.superseded?.length
      ? h(
          'p',
          {
            class: 'late',
            title: 'It arrived after a change with a newer EventTime, which was kept',
          },
          `arrived late: kept the newer ${event.superseded.map((f) => fieldLabel(f).label).join(', ')}`,
        )
      : null,
  );
}
