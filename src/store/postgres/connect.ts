import postgres from 'postgres';

/** What the PostgreSQL stores need to reach their tables. */
export interface PostgresConnectOptions {
  /** `postgres://user:password@host:port/database`. */
  url: string;
  /** Most connections in the pool. Default 10. */
  max?: number;
  /**
   * The schema holding timhook's tables; created at the first open. Default `public`. Several
   * deployments (or tests) can share one database, one schema each.
   */
  schema?: string;
}

/**
 * A pool whose `bigint` columns (seq, ms times, counts) read as JS numbers: they stay below 2^53
 * (a seq, or ms since 1970), and every caller works with numbers.
 */
export type PostgresPool = postgres.Sql<{ bigint: number }>;

/** Opens a pool on `url` with timhook's tables first on the search path. Connects lazily. */
export function connectPostgres(options: PostgresConnectOptions): PostgresPool {
  const { url, max = 10, schema = 'public' } = options;
  if (schema === '' || schema.length > 63) {
    throw new TypeError(`[timhook] a PostgreSQL schema name has 1 to 63 characters, not ${schema.length}`);
  }
  return postgres(url, {
    max,
    // Sent at connection start, so the listen connection postgres.js opens gets it too. An instance
    // frozen mid-append (SIGSTOP, a paused VM) loses its session, and the append lock, after 2 s.
    // READ COMMITTED whatever the server's default: an append, one statement, must read in each of
    // its steps what was committed before that step (see postgres/append-function.ts).
    connection: {
      search_path: quoteIdentifier(schema),
      idle_in_transaction_session_timeout: 2000,
      default_transaction_isolation: 'read committed',
    },
    types: {
      bigint: {
        to: 20,
        from: [20],
        serialize: (value: number) => String(value),
        parse: (raw: string) => Number(raw),
      },
      // Array parameters, written as postgres.js writes them once it has read the catalog.
      textArray: { to: 1009, from: [], serialize: toArrayLiteral, parse: (raw: string) => raw },
      bigintArray: { to: 1016, from: [], serialize: toArrayLiteral, parse: (raw: string) => raw },
    },
    // No catalog read when a connection starts: its failure, should the server end the session
    // meanwhile, is a promise postgres.js (3.4.x) leaves unhandled, which ends the process. Array
    // parameters are cast in the SQL (`::text[]`), and no array column is read.
    fetch_types: false,
    // A lost connection is tried again after a delay that grows with each failure in a row; the
    // driver's own grows to 10–20 s, so a recorder took that long to record again after a short
    // outage. At most 1–2 s: one connection attempt is cheap for the server.
    backoff: (failures: number) => (0.5 + Math.random() / 2) * Math.min(3 ** failures / 100, 2),
    // `CREATE … IF NOT EXISTS` and friends speak NOTICEs; nothing in them needs telling.
    onnotice: () => {},
  });
}

/** `values` as a PostgreSQL array literal of quoted elements (`{"a","b\\"c"}`), nulls as NULL. */
function toArrayLiteral(values: unknown): string {
  if (!Array.isArray(values)) return String(values);
  const items = values.map((value) =>
    value === null ? 'NULL' : `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`,
  );
  return `{${items.join(',')}}`;
}

/** Quotes a name for SQL text, for the few places a name cannot be a parameter. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
