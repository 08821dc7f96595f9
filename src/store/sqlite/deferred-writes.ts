import type Database from 'better-sqlite3';
import type { ProfileView } from '../change-log.js';
import { toNameKey } from '../event-filter.js';
import { projectEntry } from '../project-entry.js';
import { type ProfileRow, toProfileView } from '../rows.js';
import { PROFILE_COLUMNS } from './columns.js';
import { entryFromRow, LOGGED_COLUMNS, type LoggedRow } from './logged-entry.js';
import { createDedupeKeys } from './dedupe-keys.js';
import { createIndexPass } from './index-pass.js';
import { createProfileCache } from './profile-cache.js';
import { ProfileMap } from './profile-map.js';

/**
 * What the SQLite change log writes behind the OK, in bulk: the profiles, the dedupe keys
 * (`event_keys`) and each group's events (`group_events`). An
 * append commits only the log row; its projection is planned in its transaction (so its diff is
 * logged with it) and the profile rows are held here, with the dedupe keys (sqlite/dedupe-keys.ts)
 * and the index rows (sqlite/index-pass.ts) of the events not yet written. They are written at
 * most every `deferredWriteMs`, a slice per turn of the event loop, before any read that needs
 * them, once enough waits, and at close: the index rows in key order, so that each random page is
 * written about once per pass, not once per commit. `projected` says which events the file holds
 * (`through` for the profiles, `indexed` for the two index tables); when what is held here is not the
 * file's (a crash, a rolled-back batch, another connection that appended), it is projected again
 * from the file, whose rows keep all a projection needs.
 */
export interface DeferredWrites {
  /**
   * Call first in each append transaction, with the file's last seq: makes what is held here the
   * file's again, when it is not.
   */
  begin(lastSeq: number): void;
  /** The current row of `kind`/`id`, as this batch sees it. */
  load(kind: 'group' | 'topic', id: string): ProfileView | null;
  /** Holds a row a change of this batch wrote. */
  stage(row: ProfileView): void;
  /** The seq logged with this dedupe key (its hash, see dedupe-hash.ts), if any: held or in the file. */
  findDuplicate(hash: number, key: string): number | undefined;
  /**
   * Fills the filter of the dedupe keys now (sqlite/dedupe-keys.ts), so that the first append
   * does not wait for it.
   */
  prime(): void;
  /** Holds the dedupe key (and its hash) and the group of an event this batch logged as `seq`. */
  noteLogged(seq: number, key: string, hash: number, groupId: string | null): void;
  /** After the batch's commit: what it held is held, through `lastSeq`. */
  committed(lastSeq: number): void;
  /** After a batch rolled back: what it held is forgotten, and the file is read again. */
  rolledBack(): void;
  /** True when enough waits to be written now rather than at the period. */
  due(): boolean;
  /** Writes everything held, in one transaction; nothing when nothing waits. */
  write(): void;
  /**
   * Writes a slice of what is held in one transaction, so that no append waits long behind it:
   * the dedupe keys and group events of the oldest events, then profile rows, until about
   * `budgetMs` have passed. Returns how much is still held.
   */
  writeSome(budgetMs: number): number;
}

/** How much may wait: profiles held, and events not yet written behind the OK. */
const MAX_HELD_PROFILES = 4096;
const MAX_WAITING_EVENTS = 20_000;
/** Profile rows written between two looks at the clock. */
const PROFILES_PER_STEP = 16;

/** Creates the deferred writes of `db`, the connection the appends commit on. */
export function createDeferredWrites(db: Database.Database): DeferredWrites {
  const selectState = db.prepare<[], { through: number; indexed: number }>(
    'SELECT through, indexed FROM projected',
  );
  const updateThrough = db.prepare<[number]>('UPDATE projected SET through = ?');
  const updateIndexed = db.prepare<[number]>('UPDATE projected SET indexed = ?');
  const lastSeqStmt = db.prepare<[], number | null>('SELECT max(seq) FROM events').pluck();
  const selectLogged = db.prepare<[number], LoggedRow>(
    `SELECT ${LOGGED_COLUMNS} FROM events WHERE seq > ? ORDER BY seq`,
  );
  const selectProfile = db.prepare<[string, string], ProfileRow>(
    `SELECT ${PROFILE_COLUMNS} FROM profiles WHERE kind = ? AND id = ?`,
  );
  const upsertProfile = db.prepare(
    `INSERT INTO profiles (${PROFILE_COLUMNS}, name_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (kind, id) DO UPDATE SET group_id = excluded.group_id, group_type = excluded.group_type,
       fields = excluded.fields, created_at = excluded.created_at, destroyed_at = excluded.destroyed_at,
       last_seq = excluded.last_seq, last_changed_at = excluded.last_changed_at,
       last_operator = excluded.last_operator, change_count = excluded.change_count,
       name_key = excluded.name_key`,
  );
  // Rows read from `profiles` (as the file holds them); rows changed since `through` (held).
  const cache = createProfileCache(db);
  // The rows of the batch being committed go into `held` at once: a rolled-back batch makes
  // everything held be read again from the file (`forget`), so they need no map of their own.
  const held = new ProfileMap();
  // True from a batch's `begin` until its commit or rollback.
  let open = false;
  // The dedupe keys of the events past `indexed`, and of this batch.
  const keys = createDedupeKeys(db);
  // The rows of the events past `indexed` in event_keys and group_events.
  const index = createIndexPass(db);
  // What is held is the file's profiles at `base` and its tables at `indexed`, plus every event
  // through `last`; null: not known, read the file again.
  let base: number | null = null;
  let indexed: number | null = null;
  let last = 0;

  function fromFile(kind: 'group' | 'topic', id: string): ProfileView | null {
    const cached = cache.get(kind, id);
    if (cached) return cached;
    const row = selectProfile.get(kind, id);
    if (!row) return null;
    const view = toProfileView(row);
    cache.set(view);
    return view;
  }

  function heldOrFile(kind: 'group' | 'topic', id: string): ProfileView | null {
    return held.get(kind, id) ?? fromFile(kind, id);
  }

  function isFiles(state: { through: number; indexed: number }, fileLast: number): boolean {
    return base === state.through && indexed === state.indexed && last === fileLast;
  }

  /**
   * In a write transaction: what is held becomes the file's again. The file's events past
   * `indexed` go into the two index tables now; those past `through` are projected from their rows.
   */
  function catchUp(): void {
    cache.check();
    const state = selectState.get()!;
    const fileLast = lastSeqStmt.get() ?? 0;
    if (isFiles(state, fileLast)) return;
    index.forget();
    if (state.indexed < fileLast) {
      index.writeLogged(state.indexed, fileLast);
      updateIndexed.run(fileLast);
    }
    keys.caughtUp(fileLast);
    indexed = fileLast;
    held.clear();
    cache.clear();
    for (const row of selectLogged.iterate(state.through)) {
      for (const write of projectEntry(entryFromRow(row), row.seq, heldOrFile).writes) {
        // A row written in part of a bulk write already holds this event (writeSome).
        if ((fromFile(write.kind, write.id)?.lastSeq ?? 0) >= row.seq) continue;
        held.set(write);
      }
    }
    base = state.through;
    last = fileLast;
  }

  /** Writes the next step of the index pass (sqlite/index-pass.ts), and `indexed` once it ends. */
  function writeIndexStep(): void {
    const to = index.step(indexed!, last);
    if (to === indexed) return;
    updateIndexed.run(to);
    indexed = to;
    keys.written(to);
  }

  /** Writes the first profile rows held until `deadline`, and `through` once none is left. */
  function writeProfiles(deadline: number): void {
    let written = 0;
    for (const row of held.values()) {
      if (written > 0 && written % PROFILES_PER_STEP === 0 && performance.now() >= deadline) break;
      written++;
      upsertProfile.run(
        row.kind,
        row.id,
        row.groupId,
        row.groupType,
        JSON.stringify(row.fields),
        row.createdAt,
        row.destroyedAt,
        row.firstSeq,
        row.lastSeq,
        row.lastChangedAt,
        row.lastOperator,
        row.changeCount,
        toNameKey(row),
      );
      held.delete(row);
      cache.set(row);
    }
    if (held.size === 0 && base !== last) {
      updateThrough.run(last);
      base = last;
    }
  }

  /** Writes what is held, oldest first, until `deadline` (`performance.now()`), at least one step. */
  const writeSlice = db.transaction((deadline: number) => {
    catchUp();
    do writeIndexStep();
    while (indexed! < last && performance.now() < deadline);
    if (indexed! === last) writeProfiles(deadline);
  });

  function waiting(): number {
    return held.size + (last - (indexed ?? last));
  }

  function writeSome(budgetMs: number): number {
    if (base === last && indexed === last && held.size === 0) {
      // Nothing held: still catch up when another connection logged events.
      const state = selectState.get()!;
      if (isFiles(state, lastSeqStmt.get() ?? 0)) return 0;
    }
    try {
      writeSlice.immediate(performance.now() + budgetMs);
    } catch (error) {
      // Rolled back: what was held and written in it is read from the file again next time.
      forget();
      throw error;
    }
    return waiting();
  }

  function forget(): void {
    open = false;
    keys.forget();
    index.forget();
    held.clear();
    cache.clear();
    base = null;
    indexed = null;
  }

  return {
    begin(lastSeq) {
      // A batch neither committed nor rolled back left its rows among those held.
      if (open) forget();
      open = true;
      keys.begin();
      index.begin();
      cache.check();
      if (base !== null && last === lastSeq && isFiles(selectState.get()!, lastSeq)) return;
      catchUp();
    },
    load: heldOrFile,
    stage(row) {
      held.set(row);
    },
    findDuplicate(hash, key) {
      return keys.find(hash, key);
    },
    prime() {
      keys.prime();
    },
    noteLogged(seq, key, hash, groupId) {
      keys.note(key, hash, seq);
      index.note(seq, hash, groupId);
    },
    committed(lastSeq) {
      open = false;
      keys.committed();
      index.committed();
      last = lastSeq;
    },
    rolledBack: forget,
    due() {
      const behind = Math.max(last - (base ?? last), last - (indexed ?? last));
      return held.size >= MAX_HELD_PROFILES || behind >= MAX_WAITING_EVENTS;
    },
    write() {
      writeSome(Infinity);
    },
    writeSome,
  };
}
