/**
 * `timhook_append`, the server side of an append (postgres/append.ts), as migration 2 creates it:
 * one statement from the client, so that the append lock is held for the server's work only, and a
 * batch costs both sides one statement instead of five (BEGIN, lock, check, write, COMMIT).
 *
 * It takes the append lock, then checks the batch's basis: that no profile the batch read has
 * changed since it was read (`last_seq > basis_top`), and that none of its fresh dedupe keys has
 * been logged since. When the basis still holds, the batch planned then is the batch planned now, up
 * to its seqs: it numbers the events from the last seq (each `-k` the plan wrote becomes `top + k`:
 * the events' `seq` and `head`, the field index, and the profiles' seqs, see `EventInsert`), writes
 * them, NOTIFYs the other instances (`<instance>:<lastSeq>`, delivered at commit), and returns the
 * last seq before the batch. Else it writes nothing and returns null.
 *
 * A volatile function reads, in each of its statements, what was committed before that statement
 * began (READ COMMITTED, which it checks): the checks after the lock see every earlier append. The
 * checks are planned for their parameters (lookups by key, see postgres.ts `withCustomPlans`); what
 * follows them (the last seq, an index's end, and the writes, which look nothing up) is planned once
 * per session: planning it at each call cost the server more than half of what a small append costs.
 */
export const APPEND_FUNCTION = `
CREATE FUNCTION timhook_append(lock_key integer, lock_schema integer, basis_top bigint,
  basis_kinds text[], basis_ids text[], fresh_keys text[], event_rows text, field_seqs bigint[],
  field_names text[], profile_rows text, channel text, instance text) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
  top bigint;
  logged bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(lock_key, lock_schema);
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'timhook_append must run in READ COMMITTED, not %',
      current_setting('transaction_isolation');
  END IF;
  IF EXISTS (SELECT 1 FROM profiles
      WHERE (kind, id) IN (SELECT * FROM unnest(basis_kinds, basis_ids)) AND last_seq > basis_top)
    OR EXISTS (SELECT 1 FROM events WHERE dedupe_key = ANY(fresh_keys)) THEN
    RETURN NULL;
  END IF;
  PERFORM set_config('plan_cache_mode', 'force_generic_plan', true);
  SELECT coalesce(max(seq), 0) INTO top FROM events;
  INSERT INTO events (seq, received_at, event_time, command, kind, sdk_app_id, group_id, topic_id,
    group_type, operator, opt_platform, client_ip, changes, diff, superseded, raw, dedupe_key, head)
  SELECT top - r.seq, r.received_at, r.event_time, r.command, r.kind, r.sdk_app_id, r.group_id,
    r.topic_id, r.group_type, r.operator, r.opt_platform, r.client_ip, r.changes, r.diff,
    r.superseded, r.raw, r.dedupe_key,
    '{"seq":' || (top - r.seq) || substr(r.head, strpos(r.head, ','))
  FROM json_to_recordset(event_rows::json) AS r(seq bigint, received_at bigint, event_time bigint,
    command text, kind text, sdk_app_id text, group_id text, topic_id text, group_type text,
    operator text, opt_platform text, client_ip text, changes text, diff text, superseded text,
    raw text, dedupe_key text, head text);
  GET DIAGNOSTICS logged = ROW_COUNT;
  INSERT INTO event_fields (seq, field)
  SELECT top - f.seq, f.field FROM unnest(field_seqs, field_names) AS f(seq, field);
  INSERT INTO profiles (kind, id, group_id, group_type, fields, created_at, destroyed_at, first_seq,
    last_seq, last_changed_at, last_operator, change_count, name_key)
  SELECT r.kind, r.id, r.group_id, r.group_type,
    CASE WHEN strpos(r.fields, '"seq":-') = 0 THEN r.fields ELSE (
      -- Each "seq":-k (only a field's seq is written so) becomes "seq":top+k: split there, and each
      -- piece after the first starts with k.
      SELECT string_agg(CASE WHEN t.n = 1 THEN t.part ELSE
          (top + left(t.part, length(t.part) - length(ltrim(t.part, '0123456789')))::bigint)
          || ltrim(t.part, '0123456789') END, '"seq":' ORDER BY t.n)
      FROM unnest(string_to_array(r.fields, '"seq":-')) WITH ORDINALITY AS t(part, n)) END,
    r.created_at, r.destroyed_at,
    CASE WHEN r.first_seq < 0 THEN top - r.first_seq ELSE r.first_seq END,
    CASE WHEN r.last_seq < 0 THEN top - r.last_seq ELSE r.last_seq END,
    r.last_changed_at, r.last_operator, r.change_count, r.name_key
  FROM json_to_recordset(profile_rows::json) AS r(kind text, id text, group_id text,
    group_type text, fields text, created_at bigint, destroyed_at bigint, first_seq bigint,
    last_seq bigint, last_changed_at bigint, last_operator text, change_count bigint, name_key text)
  ON CONFLICT (kind, id) DO UPDATE SET group_id = excluded.group_id,
    group_type = excluded.group_type, fields = excluded.fields, created_at = excluded.created_at,
    destroyed_at = excluded.destroyed_at, last_seq = excluded.last_seq,
    last_changed_at = excluded.last_changed_at, last_operator = excluded.last_operator,
    change_count = excluded.change_count, name_key = excluded.name_key;
  PERFORM pg_notify(channel, instance || ':' || (top + logged));
  RETURN top;
END
$fn$;`;
