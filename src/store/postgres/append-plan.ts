import type { AppendResult, LogEntry, ProfileView } from '../change-log.js';
import { toFieldNames } from '../event-filter.js';
import type { BatchBasis, BatchReads, BatchWrites, EventInsert } from './append-sql.js';
import { toStorableText } from './text.js';
import { projectEntry } from '../project-entry.js';
import { recordedFromEntry, renderEvent, renderHead, toProfileView } from '../rows.js';

/**
 * A planned batch: what to write, what it was planned on, and one result per entry. Seqs are still
 * unknown: the k-th new event is `-k` everywhere (see `EventInsert`), until {@link settlePlan}.
 */
export interface BatchPlan {
  writes: BatchWrites;
  basis: BatchBasis;
  results: AppendResult[];
}

/**
 * Plans the append of `entries` on what the log held when `reads` was read: dedupe (also within the
 * batch), the projection, the rendered events. The projection never looks at seq values (per field,
 * the newer `EventTime` wins, then arrival order), so a plan stays right whatever seqs the write
 * gives it, as long as its basis holds.
 */
export function planBatch(entries: readonly LogEntry[], reads: BatchReads): BatchPlan {
  const seen = new Map(reads.seen);
  const profiles = new Map<string, ProfileView>();
  for (const row of reads.profiles) profiles.set(profileKey(row.kind, row.id), toProfileView(row));
  const changed = new Set<string>();
  const writes: BatchWrites = { events: [], fields: { seq: [], field: [] }, profiles: [] };
  const results: AppendResult[] = [];
  const freshKeys: string[] = [];
  for (const entry of entries) {
    const existing = seen.get(entry.dedupeKey);
    if (existing !== undefined) {
      results.push({ seq: existing, duplicate: true });
      continue;
    }
    const seq = -(writes.events.length + 1);
    seen.set(entry.dedupeKey, seq);
    freshKeys.push(entry.dedupeKey);
    // Profiles are read once for the batch and kept current here as each entry is projected.
    const projection = projectEntry(entry, seq, (kind, id) => profiles.get(profileKey(kind, id)) ?? null);
    for (const row of projection.writes) {
      const key = profileKey(row.kind, row.id);
      profiles.set(key, row);
      changed.add(key);
    }
    const event = recordedFromEntry(entry, seq, projection.diff, projection.superseded);
    const head = renderHead(event, entry.rawBody);
    writes.events.push(toEventInsert(entry, seq, event.diff, projection.superseded, head));
    for (const field of toFieldNames(entry.changes)) {
      writes.fields.seq.push(seq);
      writes.fields.field.push(toStorableText(field));
    }
    results.push({ seq, duplicate: false, event, rendered: renderEvent(event, entry.rawBody, head) });
  }
  for (const key of changed) writes.profiles.push(profiles.get(key)!);
  const basis = { top: reads.top, profiles: listProfileKeys(entries), freshKeys };
  return { writes, basis, results };
}

/** The results of a plan written after `top`: each `-k` becomes `top + k`. */
export function settlePlan(plan: BatchPlan, top: number): AppendResult[] {
  return plan.results.map((result) => {
    if (result.seq > 0) return result;
    const seq = top - result.seq;
    if (result.duplicate) return { seq, duplicate: true };
    const { rendered } = result;
    // Both renderings start `{"seq":-k,`.
    const json = `{"seq":${seq}${rendered.json.slice(rendered.json.indexOf(','))}`;
    return { seq, duplicate: false, event: { ...result.event, seq }, rendered: { ...rendered, seq, json } };
  });
}

/** Every profile `projectEntry` may load for `entries` (a few more is harmless). */
export function listProfileKeys(entries: readonly LogEntry[]): { kinds: string[]; ids: string[] } {
  const keys = new Map<string, [string, string]>();
  for (const entry of entries) {
    const ids =
      entry.effect === 'destroy' && entry.kind === 'topic'
        ? entry.topicIds
        : [entry.kind === 'group' ? entry.groupId : entry.topicId];
    for (const id of ids) if (id) keys.set(profileKey(entry.kind, id), [entry.kind, id]);
  }
  const pairs = [...keys.values()];
  return { kinds: pairs.map(([kind]) => kind), ids: pairs.map(([, id]) => id) };
}

function profileKey(kind: string, id: string): string {
  return `${kind}\n${id}`;
}

function toEventInsert(
  entry: LogEntry,
  seq: number,
  diff: unknown,
  superseded: readonly string[],
  head: string | null,
): EventInsert {
  return {
    seq,
    received_at: entry.receivedAt,
    event_time: entry.eventTime,
    command: entry.command,
    kind: entry.kind,
    sdk_app_id: entry.sdkAppId,
    group_id: entry.groupId,
    topic_id: entry.topicId,
    group_type: entry.groupType,
    operator: entry.operator,
    opt_platform: entry.optPlatform,
    client_ip: entry.clientIp,
    changes: JSON.stringify(entry.changes),
    diff: JSON.stringify(diff),
    superseded: superseded.length > 0 ? JSON.stringify(superseded) : null,
    raw: entry.rawBody,
    dedupe_key: entry.dedupeKey,
    head,
  };
}
