import { changeEntries, type ProfileChange } from '../protocol/index.js';
import type { EventQuery, ProfileView } from './change-log.js';

/** A WHERE clause with its parameters, in the `?` placeholder style, and the ORDER BY. */
export interface SqlFilter {
  where: string;
  params: unknown[];
  order: 'ASC' | 'DESC';
}

/**
 * How a store finds the events whose callback carried `field` (`EventQuery.field`; `customFields`:
 * any custom field): a condition on a row of `events`, with its parameters.
 */
export type FieldMatch = (field: string) => { sql: string; params: unknown[] };

/**
 * Turns an event query into SQL shared by every store (placeholders are `?`; a store that numbers
 * them rewrites). Column names are fixed here; values only ever travel as parameters. `fields`
 * says how the store finds a field's events (postgres/field-rows.ts, sqlite/field-match.ts).
 */
export function buildEventFilter(query: EventQuery, fields: FieldMatch): SqlFilter {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const desc = query.order === 'desc' || (query.order === undefined && query.before !== undefined);
  if (query.after !== undefined) {
    clauses.push('seq > ?');
    params.push(query.after);
  }
  if (query.before !== undefined) {
    clauses.push('seq < ?');
    params.push(query.before);
  }
  const equal: Array<[string, unknown]> = [
    ['group_id', query.groupId],
    ['topic_id', query.topicId],
    ['command', query.command],
    ['operator', query.operator],
    ['kind', query.kind],
    ['opt_platform', query.optPlatform],
  ];
  for (const [column, value] of equal) {
    if (value === undefined) continue;
    clauses.push(`${column} = ?`);
    params.push(value);
  }
  if (query.since !== undefined) {
    clauses.push('received_at >= ?');
    params.push(query.since);
  }
  if (query.until !== undefined) {
    clauses.push('received_at <= ?');
    params.push(query.until);
  }
  if (query.field !== undefined) {
    const match = fields(query.field);
    clauses.push(match.sql);
    params.push(...match.params);
  }
  if (query.search !== undefined && query.search !== '') {
    // Lower-cased on both sides (profiles.name_key is stored lower-cased): LIKE ignores case in
    // SQLite but not in PostgreSQL. Ids are ASCII, so SQL lower() and JS agree on them.
    const pattern = `%${escapeLike(query.search.toLowerCase())}%`;
    clauses.push(
      `(lower(group_id) LIKE ? ESCAPE '\\' OR lower(topic_id) LIKE ? ESCAPE '\\'
        OR group_id IN (SELECT id FROM profiles WHERE kind = 'group' AND name_key LIKE ? ESCAPE '\\')
        OR topic_id IN (SELECT id FROM profiles WHERE kind = 'topic' AND name_key LIKE ? ESCAPE '\\'))`,
    );
    params.push(pattern, pattern, pattern, pattern);
  }
  return {
    where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '',
    params,
    order: desc ? 'DESC' : 'ASC',
  };
}

/** Escapes `%`, `_` and `\\` for a `LIKE … ESCAPE '\\'` pattern. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** What a store keeps in `profiles.name_key`: the current `Name`, lower-cased, for {@link EventQuery.search}. */
export function toNameKey(profile: ProfileView): string | null {
  return profile.fields.Name?.value.toLowerCase() ?? null;
}

/** The rows of `event_fields` for one entry: every field its callback carried, `customFields.<Key>` for custom ones. */
export function toFieldNames(changes: ProfileChange): string[] {
  return changeEntries(changes).map(([field]) => field);
}
