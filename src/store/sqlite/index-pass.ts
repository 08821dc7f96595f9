import type Database from 'better-sqlite3';
import { type BulkInsert, createBulkInsert } from './bulk-insert.js';

/**
 * Writes the rows the events past `indexed` add to `event_keys` and `group_events`, behind the OK
 * (sqlite/deferred-writes.ts), a pass at a time. A pass takes every event this connection logged
 * and holds, and writes their keys in hash order, then their group rows in group order, a step at
 * a time, each step in the transaction of one slice of the deferred writes. The keys and the group
 * rows land on pages at random: a slice of a few hundred events in seq order found almost a page
 * of its own for each, where a pass in key order writes each page once.
 */
export interface IndexPass {
  /** Starts a batch: the events of one that was not committed are forgotten. */
  begin(): void;
  /** Notes an event this batch logged. */
  note(seq: number, hash: number, groupId: string | null): void;
  /** After the batch's commit: its events are held for the next pass. */
  committed(): void;
  /**
   * Writes the next step of the pass, starting one over every event held when none runs; the
   * two tables hold every event through `indexed` before it, and the file's last is `last`.
   * Returns the seq through which they hold every event after it: `indexed` until the pass ends.
   */
  step(indexed: number, last: number): number;
  /** Writes the rows of the file's events `from` < seq <= `to`, read from their rows, at once. */
  writeLogged(from: number, to: number): void;
  /** Forgets what is held and the pass under way: the file's events are read again. */
  forget(): void;
}

/** Rows written per step of a pass, between two looks at the clock. */
const ROWS_PER_STEP = 256;

/** The events of one pass, and how far it has written them. */
interface Pass {
  /** It holds the events `indexed` < seq <= `through`, every one of them. */
  through: number;
  hashes: number[];
  seqs: number[];
  groups: Array<string | null>;
  /** Indexes into the arrays above, in hash order, then in group order (and seq order within). */
  byHash: number[];
  byGroup: number[];
  keysDone: number;
  groupsDone: number;
}

/** Prepares the index writes of `db`. */
export function createIndexPass(db: Database.Database): IndexPass {
  const insertKeys = createBulkInsert(db, 'INSERT OR IGNORE INTO event_keys (dedupe_hash, event_seq)', 2);
  const insertGroups = createBulkInsert(db, 'INSERT OR IGNORE INTO group_events (group_key, event_seq)', 2);
  const indexKeys = db.prepare<[number, number]>(
    'INSERT OR IGNORE INTO event_keys SELECT dedupe_hash, seq FROM events WHERE seq > ? AND seq <= ?',
  );
  const indexGroups = db.prepare<[number, number]>(
    `INSERT OR IGNORE INTO group_events
       SELECT group_id, seq FROM events WHERE seq > ? AND seq <= ? AND group_id IS NOT NULL`,
  );
  // The events held for the next pass, in seq order, then those of the batch; plain arrays of
  // numbers hold no object per event.
  let seqs: number[] = [];
  let hashes: number[] = [];
  let groups: Array<string | null> = [];
  let committedCount = 0;
  let pass: Pass | null = null;

  function dropUncommitted(): void {
    seqs.length = committedCount;
    hashes.length = committedCount;
    groups.length = committedCount;
  }

  function startPass(): Pass {
    const started: Pass = {
      through: seqs[seqs.length - 1]!,
      hashes,
      seqs,
      groups,
      byHash: orderByHash(hashes),
      byGroup: orderByGroup(groups),
      keysDone: 0,
      groupsDone: 0,
    };
    seqs = [];
    hashes = [];
    groups = [];
    committedCount = 0;
    return started;
  }

  /** True when the events held are every event past `indexed`, through `last`. */
  function holdsAllPast(indexed: number, last: number): boolean {
    return committedCount > 0 && seqs[0] === indexed + 1 && seqs[committedCount - 1] === last;
  }

  /** Writes the next rows of `current`; true once both tables hold its events. */
  function writeStep(current: Pass): boolean {
    if (current.keysDone < current.byHash.length) {
      current.keysDone = writeRows(
        insertKeys,
        current.byHash,
        current.keysDone,
        current.hashes,
        current.seqs,
      );
      return false;
    }
    if (current.groupsDone < current.byGroup.length) {
      current.groupsDone = writeRows(
        insertGroups,
        current.byGroup,
        current.groupsDone,
        current.groups,
        current.seqs,
      );
    }
    return current.groupsDone === current.byGroup.length;
  }

  function forget(): void {
    seqs = [];
    hashes = [];
    groups = [];
    committedCount = 0;
    pass = null;
  }

  return {
    begin: dropUncommitted,
    note(seq, hash, groupId) {
      seqs.push(seq);
      hashes.push(hash);
      groups.push(groupId);
    },
    committed() {
      committedCount = seqs.length;
    },
    step(indexed, last) {
      if (!pass) {
        if (indexed >= last) return indexed;
        if (!holdsAllPast(indexed, last)) {
          // Not this connection's events alone: read from their rows, as after a crash.
          indexKeys.run(indexed, last);
          indexGroups.run(indexed, last);
          forget();
          return last;
        }
        pass = startPass();
      }
      if (!writeStep(pass)) return indexed;
      const { through } = pass;
      pass = null;
      return through;
    },
    writeLogged(from, to) {
      indexKeys.run(from, to);
      indexGroups.run(from, to);
    },
    forget,
  };
}

/**
 * Writes the rows (`keys[i]`, `seqs[i]`) of the next step in `order`, from `done`, in one bulk
 * insert; returns how far it got.
 */
function writeRows(
  insert: BulkInsert,
  order: readonly number[],
  done: number,
  keys: ReadonlyArray<number | string | null>,
  seqs: readonly number[],
): number {
  const end = Math.min(order.length, done + ROWS_PER_STEP);
  const values: Array<number | string | null> = [];
  for (let at = done; at < end; at++) {
    const event = order[at]!;
    values.push(keys[event]!, seqs[event]!);
  }
  insert(values, end - done);
  return end;
}

/**
 * The indexes of `hashes` (integers below 2^52) in hash order, as far as a page can tell: each
 * hash's high bits and its index share one double, so one numeric sort of a typed array does it,
 * without a comparison function called per pair. Hashes equal but for their low bits keep their
 * index order.
 */
function orderByHash(hashes: readonly number[]): number[] {
  const scale = 2 ** Math.max(1, Math.ceil(Math.log2(hashes.length + 1)));
  const keyed = new Float64Array(hashes.length);
  for (let i = 0; i < hashes.length; i++) keyed[i] = Math.floor(hashes[i]! / scale) * scale + i;
  keyed.sort();
  const order = new Array<number>(keyed.length);
  for (let i = 0; i < keyed.length; i++) order[i] = keyed[i]! % scale;
  return order;
}

/**
 * The indexes of `groups` that name one, group by group in the order of SQLite's BINARY collation
 * for ASCII (the ids' usual alphabet), each group's in seq order.
 */
function orderByGroup(groups: ReadonlyArray<string | null>): number[] {
  const byGroup = new Map<string, number[]>();
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i];
    if (group === null || group === undefined) continue;
    const events = byGroup.get(group);
    if (events) events.push(i);
    else byGroup.set(group, [i]);
  }
  const order: number[] = [];
  for (const group of [...byGroup.keys()].sort()) for (const i of byGroup.get(group)!) order.push(i);
  return order;
}
