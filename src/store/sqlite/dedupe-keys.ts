import type Database from 'better-sqlite3';
import { createKeyFilter, type KeyFilter } from './key-filter.js';

/**
 * The dedupe keys of a SQLite log, as its appends look them up: those of the batch being
 * committed, those held in memory until they are written to `event_keys` behind the OK
 * (sqlite/deferred-writes.ts), and those in `event_keys`, which a filter of their hashes
 * (sqlite/key-filter.ts) spares a lookup for every fresh key.
 */
export interface DedupeKeys {
  /** The seq logged with `key` (its hash `hash`), if any: in this batch, held, or in the file. */
  find(hash: number, key: string): number | undefined;
  /**
   * Fills the filter from `event_keys` now, rather than at the first look: a recorder does it as
   * it opens, so that its first callback does not wait for it (a third of a second a million keys).
   */
  prime(): void;
  /** Starts a batch: the keys of one that was not committed are forgotten. */
  begin(): void;
  /** Holds the key of an event this batch logs as `seq`. */
  note(key: string, hash: number, seq: number): void;
  /** After the batch's commit: its keys are held until they are written. */
  committed(): void;
  /** Forgets the keys of the batch, and those held: the file's events are read again. */
  forget(): void;
  /** The keys of the events through `seq` are in `event_keys` now. */
  written(seq: number): void;
  /**
   * In a write transaction, once `event_keys` holds every event of the file through `fileLast`:
   * what is held is forgotten, and the filter learns the events others logged.
   */
  caughtUp(fileLast: number): void;
}

/** Prepares the dedupe keys of `db`. */
export function createDedupeKeys(db: Database.Database): DedupeKeys {
  const findKey = db
    .prepare<[number, string], number>(
      `SELECT k.event_seq FROM event_keys k JOIN events e ON e.seq = k.event_seq
         WHERE k.dedupe_hash = ? AND e.dedupe_key = ?`,
    )
    .pluck();
  const allHashes = db.prepare<[], number>('SELECT dedupe_hash FROM event_keys').pluck();
  const selectIndexed = db.prepare<[], number>('SELECT indexed FROM projected').pluck();
  const hashesAfter = db
    .prepare<[number, number], number>('SELECT dedupe_hash FROM events WHERE seq > ? AND seq <= ?')
    .pluck();
  // The keys of the events past what `event_keys` holds, in seq order, this batch's last: each key
  // goes into one map once. `batch` lists this batch's, to take them out again if it never commits.
  const held = new Map<string, number>();
  const batch: string[] = [];
  // Every hash in `event_keys` is in the filter: it is filled from the table at the first look (or
  // `prime`), and learns each key before it is written there. Made then, so that reads alone never
  // pay for it. It holds the hash of every event through `covered`, and of a few more (the keys
  // of batches that rolled back); `noted` is the last seq this batch added.
  let filter: KeyFilter | null = null;
  let covered = 0;
  let noted = 0;

  function filterOf(): KeyFilter {
    if (!filter) {
      // First: `event_keys` holds every event through `indexed`, and maybe more by the scan.
      covered = selectIndexed.get() ?? 0;
      noted = covered;
      filter = createKeyFilter();
      for (const hash of allHashes.iterate()) filter.add(hash);
    }
    return filter;
  }

  return {
    find(hash, key) {
      // Every key of the batch, held or in `event_keys` is in the filter: its "no" is final.
      if (!filterOf().mayHold(hash)) return undefined;
      return held.get(key) ?? findKey.get(hash, key);
    },
    prime() {
      filterOf();
    },
    begin() {
      for (const key of batch) held.delete(key);
      batch.length = 0;
      noted = covered;
    },
    note(key, hash, seq) {
      held.set(key, seq);
      batch.push(key);
      filterOf().add(hash);
      noted = seq;
    },
    committed() {
      batch.length = 0;
      covered = Math.max(covered, noted);
    },
    forget() {
      batch.length = 0;
      held.clear();
      // The filter only ever holds too much: a rolled-back key costs a lookup.
      noted = covered;
    },
    written(seq) {
      // In seq order: the keys now in `event_keys` come first.
      for (const [key, keySeq] of held) {
        if (keySeq > seq) break;
        held.delete(key);
      }
    },
    caughtUp(fileLast) {
      batch.length = 0;
      held.clear();
      if (filter && fileLast > covered) {
        for (const hash of hashesAfter.iterate(covered, fileLast)) filter.add(hash);
      }
      covered = Math.max(covered, fileLast);
      noted = covered;
    },
  };
}
