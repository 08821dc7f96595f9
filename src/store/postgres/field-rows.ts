import type { FieldMatch } from '../event-filter.js';

/**
 * PostgreSQL's field filter (`EventQuery.field`): its `event_fields` table holds one row per field
 * a callback carried (`toFieldNames`, written in the append); `customFields` matches any custom one.
 */
export const FIELD_ROWS: FieldMatch = (field) =>
  field === 'customFields'
    ? {
        sql: "EXISTS (SELECT 1 FROM event_fields f WHERE f.seq = events.seq AND f.field LIKE 'customFields.%')",
        params: [],
      }
    : {
        sql: 'EXISTS (SELECT 1 FROM event_fields f WHERE f.seq = events.seq AND f.field = ?)',
        params: [field],
      };
