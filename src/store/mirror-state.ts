import { connectPostgres, type PostgresConnectOptions } from './postgres/connect.js';
import { migratePostgres } from './postgres/migrations.js';
import { openSideConnection } from './sqlite/side-connection.js';

/**
 * What the mirror keeps beside the change log (table `mirror_state`): named JSON documents, such as
 * the progress of a reconciliation pass, written after each step so that a pass resumes after a
 * restart.
 */
export interface MirrorState {
  /** The document stored under `name`, parsed; null when there is none. */
  read(name: string): Promise<unknown>;
  /** Replaces the document under `name`. */
  write(name: string, value: unknown): Promise<void>;
  close(): Promise<void>;
}

/** Opens the mirror state in the change log's SQLite file (migrating it when it is the first to open it). */
export function openSqliteMirrorState(options: { path: string; now?: () => number }): MirrorState {
  const { path, now = Date.now } = options;
  const db = openSideConnection(path);
  const select = db.prepare<[string], { state: string }>('SELECT state FROM mirror_state WHERE name = ?');
  const upsert = db.prepare<[string, string, number]>(
    `INSERT INTO mirror_state (name, state, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
  );
  return {
    read(name) {
      const row = select.get(name);
      return Promise.resolve(row ? (JSON.parse(row.state) as unknown) : null);
    },
    write(name, value) {
      upsert.run(name, JSON.stringify(value), now());
      return Promise.resolve();
    },
    close() {
      db.close();
      return Promise.resolve();
    },
  };
}

/** Opens the mirror state in the change log's PostgreSQL schema (migrating it when this is the first open). */
export async function openPostgresMirrorState(options: PostgresConnectOptions): Promise<MirrorState> {
  const sql = connectPostgres({ ...options, max: 1 });
  try {
    await migratePostgres(sql, options.schema ?? 'public');
  } catch (error) {
    await sql.end({ timeout: 0 });
    throw error;
  }
  return {
    async read(name) {
      const [row] = await sql<Array<{ state: string }>>`SELECT state FROM mirror_state WHERE name = ${name}`;
      return row ? (JSON.parse(row.state) as unknown) : null;
    },
    async write(name, value) {
      await sql`INSERT INTO mirror_state (name, state, updated_at)
        VALUES (${name}, ${JSON.stringify(value)}, ${Date.now()})
        ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`;
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}
