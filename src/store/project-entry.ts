import {
  applyChange,
  type BaseField,
  changeEntries,
  CUSTOM_PREFIX,
  type FieldDiff,
} from '../protocol/index.js';
import type { LogEntry, ProfileView } from './change-log.js';

/** What one log entry does to the projection: its diff, the fields it lost, the rows to write. */
export interface Projection {
  diff: FieldDiff[];
  superseded: string[];
  writes: ProfileView[];
}

/** Reads the current row of a group or topic, as the transaction sees it. */
export type LoadProfile = (kind: 'group' | 'topic', id: string) => ProfileView | null;

/**
 * Plans the projection of `entry` (logged as `seq`), the same for every store: per-field merge with
 * `applyChange`, lifecycle callbacks open and close profiles, and a topic change that names no
 * topic is logged against its community but changes no profile (docs/protocol.md §2, UNSETTLED).
 */
export function projectEntry(entry: LogEntry, seq: number, load: LoadProfile): Projection {
  const when = entry.eventTime ?? entry.receivedAt;
  if (entry.effect === 'destroy') {
    const ids = entry.kind === 'group' ? [entry.groupId] : entry.topicIds;
    const writes: ProfileView[] = [];
    for (const id of ids) {
      if (!id || !entry.groupId) continue;
      const row = load(entry.kind, id) ?? emptyRow(entry, id, seq);
      writes.push({ ...touch(row, entry, seq), destroyedAt: when });
    }
    return { diff: [], superseded: [], writes };
  }
  if (entry.effect === 'none') return { diff: [], superseded: [], writes: [] };
  const id = entry.kind === 'group' ? entry.groupId : entry.topicId;
  if (!id || !entry.groupId) {
    const diff = changeEntries(entry.changes).map(([field, to]) => ({ field, from: null, to }));
    return { diff, superseded: [], writes: [] };
  }
  const row = load(entry.kind, id) ?? emptyRow(entry, id, seq);
  const { changes, newer } = withoutNewerFields(entry, row);
  const result = applyChange(row, {
    changes,
    eventTime: entry.eventTime,
    operator: entry.operator,
    receivedAt: entry.receivedAt,
    seq,
  });
  const next = touch(row, entry, seq, result.next.fields);
  if (entry.effect === 'create') {
    next.createdAt = when;
    next.destroyedAt = null;
  }
  const superseded = newer.length === 0 ? result.superseded : [...newer, ...result.superseded];
  return { diff: result.diff, superseded, writes: [next] };
}

/**
 * A REST answer (command `timhook.*`) is true as of its request time, its `eventTime`: a field a
 * callback set after that moment (by its `EventTime`, or by its arrival when it had none) keeps the
 * callback's value. Callbacks are merged by `applyChange` alone.
 */
function withoutNewerFields(
  entry: LogEntry,
  row: ProfileView,
): { changes: LogEntry['changes']; newer: string[] } {
  const asOf = entry.eventTime;
  // A malformed entry (no command) is left for the database to refuse.
  const rest = typeof entry.command === 'string' && entry.command.startsWith('timhook.');
  if (!rest || asOf === null) return { changes: entry.changes, newer: [] };
  const isNewer = (field: string) => {
    const state = row.fields[field];
    return state !== undefined && (state.changedAt > asOf || (state.eventTime ?? 0) > asOf);
  };
  const newer: string[] = [];
  const changes: LogEntry['changes'] = {};
  for (const [field, value] of changeEntries(entry.changes)) {
    if (isNewer(field)) {
      newer.push(field);
    } else if (field.startsWith(CUSTOM_PREFIX)) {
      changes.customFields = { ...changes.customFields, [field.slice(CUSTOM_PREFIX.length)]: value };
    } else {
      changes[field as BaseField] = value;
    }
  }
  return { changes, newer };
}

/**
 * `row` after `entry` (logged as `seq`), with `fields`. Every property is named, not spread: this
 * runs for every event logged, and a spread copies through V8's generic path.
 */
function touch(row: ProfileView, entry: LogEntry, seq: number, fields = row.fields): ProfileView {
  return {
    kind: row.kind,
    id: row.id,
    groupId: row.groupId,
    groupType: entry.groupType ?? row.groupType,
    fields,
    createdAt: row.createdAt,
    destroyedAt: row.destroyedAt,
    firstSeq: row.firstSeq,
    lastSeq: seq,
    lastChangedAt: entry.receivedAt,
    lastOperator: entry.operator,
    changeCount: row.changeCount + 1,
  };
}

function emptyRow(entry: LogEntry, id: string, seq: number): ProfileView {
  return {
    kind: entry.kind,
    id,
    groupId: entry.groupId ?? id,
    groupType: entry.groupType,
    fields: {},
    createdAt: null,
    destroyedAt: null,
    firstSeq: seq,
    lastSeq: seq,
    lastChangedAt: entry.receivedAt,
    lastOperator: entry.operator,
    changeCount: 0,
  };
}
