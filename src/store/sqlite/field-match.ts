import type { FieldMatch } from '../event-filter.js';

/** Only the values a callback carried count as its fields, as `changeEntries` lists them. */
const SCALAR = "j.type NOT IN ('object', 'array')";

/**
 * The SQLite log's field filter (`EventQuery.field`): read from the `changes` each row's head
 * holds (every row since schema version 9, its head short or whole: sqlite/columns.ts), with
 * json_each, instead of an index of one row per field. A read parses the heads of the rows it
 * scans; an append writes nothing for it, which the seven or so rows per callback of that index
 * cost in CPU (docs/performance.md).
 */
export const FIELDS_IN_HEAD: FieldMatch = (field) => {
  if (field === 'customFields') {
    return {
      sql: `EXISTS (SELECT 1 FROM json_each(events.head, '$.changes.customFields') j WHERE ${SCALAR})`,
      params: [],
    };
  }
  if (field.startsWith('customFields.')) {
    return {
      sql: `EXISTS (SELECT 1 FROM json_each(events.head, '$.changes.customFields') j WHERE j.key = ? AND ${SCALAR})`,
      params: [field.slice('customFields.'.length)],
    };
  }
  return {
    sql: `EXISTS (SELECT 1 FROM json_each(events.head, '$.changes') j WHERE j.key = ? AND ${SCALAR})`,
    params: [field],
  };
};
