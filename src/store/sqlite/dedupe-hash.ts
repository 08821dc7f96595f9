import type Database from 'better-sqlite3';

/**
 * The integer the SQLite log indexes a dedupe key by: its first 52 bits when it is the hex SHA-256
 * every callback and REST entry gets (`toLogEntry`), an FNV-1a hash of it otherwise. Two keys may
 * share one: a lookup compares the whole key too, so the index stays small (8 bytes, not 64).
 */
const HEX_HEAD = /^[0-9a-f]{13}/;

export function toDedupeHash(key: string): number {
  if (HEX_HEAD.test(key)) return parseInt(key.slice(0, 13), 16);
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** Lets the migrations of `db` call {@link toDedupeHash} as `timhook_dedupe_hash(key)`. */
export function registerDedupeHash(db: Database.Database): void {
  db.function('timhook_dedupe_hash', { deterministic: true }, (key: unknown) => toDedupeHash(String(key)));
}
