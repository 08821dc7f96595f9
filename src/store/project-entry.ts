import { applyChange, changeEntries, type FieldDiff } from '../protocol/index.js';
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
 * topic is logged against its community but changes no profile (PROTOCOL.md §2, UNSETTLED).
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
  const result = applyChange(row, {
    changes: entry.changes,
    eventTime: entry.eventTime,
    operator: entry.operator,
    receivedAt: entry.receivedAt,
    seq,
  });
  const next: ProfileView = { ...touch(row, entry, seq), fields: result.next.fields };
  if (entry.effect === 'create') {
    next.createdAt = when;
    next.destroyedAt = null;
  }
  return { diff: result.diff, superseded: result.superseded, writes: [next] };
}

function touch(row: ProfileView, entry: LogEntry, seq: number): ProfileView {
  return {
    ...row,
    groupType: entry.groupType ?? row.groupType,
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
