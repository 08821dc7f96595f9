const pad = (n, width = 2) => String(n).padStart(width, '0');

/** `2026-11-22 10:04:05` in local time. */
export function formatTime(ms) {
  if (ms === null || ms === undefined) return '';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `10:04:05` today, else the date too. */
export function formatShortTime(ms, now = Date.now()) {
  const full = formatTime(ms);
  return new Date(ms).toDateString() === new Date(now).toDateString() ? full.slice(11) : full;
}

/** `3 min ago`. */
export function formatAgo(ms, now = Date.now()) {
  const s = Math.round((now - ms) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/** A `datetime-local` input value for `ms`, in local time. */
export function toLocalInput(ms) {
  return formatTime(ms).replace(' ', 'T').slice(0, 16);
}

const COMMANDS = {
  'Group.CallbackAfterGroupInfoChanged': 'changed',
  'Group.CallbackAfterTopicInfoChanged': 'changed',
  'Group.CallbackAfterCreateGroup': 'created',
  'Group.CallbackAfterCreateTopic': 'created',
  'Group.CallbackAfterGroupDestroyed': 'destroyed',
  'Group.CallbackAfterTopicDestroyed': 'destroyed',
  'timhook.Snapshot': 'snapshot',
  'timhook.Reconciled': 'repaired',
  'timhook.Vanished': 'destroyed',
};

/** `changed`, `created`, `destroyed`, `snapshot`, `repaired`, or the command itself. */
export function commandLabel(command) {
  return COMMANDS[command] ?? command.replace(/^Group\.CallbackAfter/, '');
}

/** True for a change the recorder read from the Chat REST API (its mirror), not from a callback. */
export function isFromRest(event) {
  return event.command.startsWith('timhook.') || event.raw?.source === 'rest';
}

/** Known commands, for the filter. */
export const COMMAND_NAMES = Object.keys(COMMANDS);

/** Platforms of docs/protocol.md §1, for the filter. */
export const PLATFORMS = ['RESTAPI', 'Web', 'Android', 'iOS', 'Windows', 'Mac', 'iPad', 'Unknown'];

/** The base fields, in the order profiles show them. */
export const BASE_FIELDS = ['Name', 'Introduction', 'Notification', 'FaceUrl'];

export const CUSTOM_PREFIX = 'customFields.';

/** `{ label, custom }` of a field name (`Name`, `customFields.Level`). */
export function fieldLabel(field) {
  if (field.startsWith(CUSTOM_PREFIX)) return { label: field.slice(CUSTOM_PREFIX.length), custom: true };
  return { label: field === 'FaceUrl' ? 'Photo' : field, custom: false };
}

/** Orders fields: base fields first, then custom ones by key. */
export function compareFields(a, b) {
  const ia = BASE_FIELDS.indexOf(a);
  const ib = BASE_FIELDS.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The page path of a group or a topic (ids hold `@` and `#`: encoded). */
export function profilePath(kind, id) {
  return `/${kind === 'topic' ? 'topics' : 'groups'}/${encodeURIComponent(id)}`;
}
