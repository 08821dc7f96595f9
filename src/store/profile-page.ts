import type { ProfilePage } from './change-log.js';
import { type ProfileRow, toProfileView } from './rows.js';

/**
 * A page of profiles from `rows` (up to `limit + 1`, most recently changed first, ties by id). The
 * `before` cursor is a `last_seq`, and the topics one `TopicDestroyed` closes share one: a page
 * never ends inside such a tie, or the next page (`last_seq < next`) would skip the rest of it.
 * When the page would, it takes every profile of that `last_seq` instead (`readTies`), so it may
 * hold more than `limit`.
 */
export async function pageProfiles(
  rows: readonly ProfileRow[],
  limit: number,
  readTies: (lastSeq: number) => Promise<readonly ProfileRow[]> | readonly ProfileRow[],
): Promise<ProfilePage> {
  if (rows.length <= limit) return { items: rows.map(toProfileView), next: null };
  const lastSeq = Number(rows[limit - 1]!.last_seq);
  if (Number(rows[limit]!.last_seq) !== lastSeq) {
    return { items: rows.slice(0, limit).map(toProfileView), next: lastSeq };
  }
  const newer = rows.filter((row) => Number(row.last_seq) > lastSeq);
  const ties = await readTies(lastSeq);
  return { items: [...newer, ...ties].map(toProfileView), next: lastSeq };
}
