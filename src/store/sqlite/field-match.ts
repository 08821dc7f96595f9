import type { FieldMatch } from '../event-filter.js';
import { HEAD_WITHOUT_CHANGES } from '../rows.js';
import { CHANGES_FUNCTION } from './columns.js';

/** Only the values a callback carried count as its fields, as `changeEntries` lists them. */
const SCALAR = "j.type NOT IN ('object', 'array')";

/**
 * A row's `changes` as JSON: from its head, or read from its body when the head leaves them out
 * (schema version 13, sqlite/columns.ts HEAD_SQL).
 */
const CHANGES_SQL =
  `(CASE WHEN substr(events.head,1,${HEAD_WITHOUT_CHANGES.length}) = '${HEAD_WITHOUT_CHANGES}'` +
  ` THEN ${CHANGES_FUNCTION}(events.command,events.raw)` +
  ` ELSE json_extract(events.head,'$.changes') END)`;

/**
 * The SQLite log's field filter (`EventQuery.field`): read from each row's `changes` (kept in its
 * head since schema version 9, or read from its body: {@link CHANGES_SQL}), with json_each, instead
 * of an index of one row per field. A read parses the changes of the rows it scans; an append
 * writes nothing for it, which the seven or so rows per callback of that index cost in CPU
 * (docs/performance.md).
 */
export const FIELDS_IN_HEAD: FieldMatch = (field) => {
  if (field === 'customFields') {
    return {
      sql: `EXISTS (SELECT 1 FROM json_each(${CHANGES_SQL}, '$.customFields') j WHERE ${SCALAR})`,
      params: [],
    };
  }
  if (field.startsWith('customFields.')) {
    return {
      sql: `EXISTS (SELECT 1 FROM json_each(${CHANGES_SQL}, '$.customFields') j WHERE j.key = ? AND ${SCALAR})`,
      params: [field.slice('customFields.'.length)],
    };
  }
  return {
    sql: `EXISTS (SELECT 1 FROM json_each(${CHANGES_SQL}) j WHERE j.key = ? AND ${SCALAR})`,
    params: [field],
  };
};
