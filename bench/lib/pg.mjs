// PostgreSQL helpers for the benchmarks: an admin connection, bench schemas, and the server
// backends that work for a given recorder process (their CPU is the recorder's too).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import postgres from 'postgres';

/** The server the benchmarks use unless told otherwise: loopback, trust auth. */
export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** An admin connection of its own (named, so that it is never taken for a recorder's). */
export function connectAdmin(url) {
  return postgres(url, {
    max: 2,
    onnotice: () => {},
    connection: { application_name: 'timhook-bench' },
    types: { bigint: { to: 20, from: [20], serialize: String, parse: Number } },
  });
}

/** `base` with `?schema=NAME`: what `timhook serve --db` takes. */
export function schemaUrl(base, schema) {
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  return url.toString();
}

/** Drops `schemas` (and everything in them), if they exist. */
export async function dropSchemas(sql, schemas) {
  for (const schema of schemas) await sql.unsafe(`DROP SCHEMA IF EXISTS ${quote(schema)} CASCADE`);
}

/**
 * What is in the log of `schema`: the number of events, the highest seq and the distinct dedupe
 * keys. Seqs are taken without gaps, so `events === lastSeq` when no seq was lost or doubled.
 */
export async function logCounts(sql, schema) {
  const [row] = await sql.unsafe(
    `SELECT count(*)::bigint AS events, coalesce(max(seq), 0)::bigint AS last_seq,
       count(DISTINCT dedupe_key)::bigint AS keys FROM ${quote(schema)}.events`,
  );
  return { events: row.events, lastSeq: row.last_seq, keys: row.keys };
}

/**
 * The PostgreSQL backends (server process ids) connected to the recorder processes `pids`:
 * matched by the client's TCP port, read from each process's sockets (Linux `/proc`).
 */
export async function backendPidsOf(sql, pids) {
  const ports = [...new Set(pids.flatMap((pid) => [...localPortsOf(pid)]))];
  if (ports.length === 0) return [];
  const rows = await sql`
    SELECT pid FROM pg_stat_activity
    WHERE client_port = ANY(${ports}::int[]) AND client_addr IN ('127.0.0.1', '::1')`;
  return rows.map((row) => row.pid);
}

/**
 * Checkpoints the server has started so far (timed and requested): one during a run means a burst
 * of data-file writes and full-page images in the WAL, which shows in commit latency. NaN when the
 * statistics cannot be read.
 */
export async function checkpointsOf(sql) {
  try {
    // PostgreSQL 17 moved the counters to pg_stat_checkpointer.
    const [{ version }] = await sql`SELECT current_setting('server_version_num')::int AS version`;
    const [row] =
      version >= 170000
        ? await sql`SELECT (num_timed + num_requested)::bigint AS n FROM pg_stat_checkpointer`
        : await sql`SELECT (checkpoints_timed + checkpoints_req)::bigint AS n FROM pg_stat_bgwriter`;
    return row.n;
  } catch {
    return Number.NaN;
  }
}

/** Local TCP ports of the sockets process `pid` holds open. */
function localPortsOf(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // Closed while we looked.
    }
  }
  const ports = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9 && inodes.has(fields[9])) ports.add(Number.parseInt(fields[1].split(':')[1], 16));
    }
  }
  return ports;
}

function quote(name) {
  return `"${name.replace(/"/g, '""')}"`;
}
