import type Database from 'better-sqlite3';
import type { ProfileView } from '../change-log.js';
import { toNameKey } from '../event-filter.js';
import { projectEntry } from '../project-entry.js';
import { type ProfileRow, toProfileView } from '../rows.js';
import { PROFILE_COLUMNS } from './columns.js';
import { createProfileCache } from './profile-cache.js';
import { entryFromRow, type LoggedRow, LOGGED_COLUMNS } from './logged-entry.js';

/**
 * The profiles of the SQLite change log, written in bulk behind the OK. An append merges each
 * change into the row held here (the projection is planned in the append's transaction, so its
 * diff is logged with it) and commits only the log row; the rows held are written to `profiles` in
 * one transaction at most every `profileWriteMs`, before any read of profiles, once this many
 * profiles or events are waiting, and at close. `projected.through` says which events the table
 * holds: the events past it are projected again from the file when the rows held here are not its
 * (a crash, a rolled-back batch, another connection that appended).
 */
export interface ProfileWriter {
  /**
   * Call first in each append transaction, with the file's last seq: makes the rows held here
   * those of the file again, when they are not, by projecting the events past `through` from it.
   */
  begin(lastSeq: number): void;
  /** The current row of `kind`/`id`, as this batch sees it. */
  load(kind: 'group' | 'topic', id: string): ProfileView | null;
  /** Holds the rows a change of this batch wrote. */
  stage(row: ProfileView): void;
  /** After the batch's commit: its rows are held, through `lastSeq`. */
  committed(lastSeq: number): void;
  /** After a batch rolled back: what it held is forgotten, and the file is read again. */
  rolledBack(): void;
  /** True when enough waits to be written now rather than at the period. */
  due(): boolean;
  /** Writes what is held to `profiles`, in one transaction; nothing when nothing waits. */
  write(): void;
  /**
   * Writes at most `max` of the rows held, in one transaction, so that the appends wait for no long
   * one; `through` moves on with the last. Returns how many rows are still held.
   */
  writeSome(max: number): number;
}

/** How much may wait: profiles held, and events not yet in `profiles`. */
const MAX_HELD_PROFILES = 4096;
const MAX_WAITING_EVENTS = 20_000;

/** Creates the profile writer of `db`, the connection the appends commit on. */
export function createProfileWriter(db: Database.Database): ProfileWriter {
  const selectThrough = db.prepare<[], number>('SELECT through FROM projected').pluck();
  const updateThrough = db.prepare<[number]>('UPDATE projected SET through = ?');
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
  const held = new Map<string, ProfileView>();
  const batch = new Map<string, ProfileView>();
  // `held` is the file's `profiles` at `base` plus every event through `last`; null: unknown.
  let base: number | null = null;
  let last = 0;
  const keyOf = (kind: string, id: string) => `${kind}\u0000${id}`;

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
    return held.get(keyOf(kind, id)) ?? fromFile(kind, id);
  }

  /** In a write transaction: held becomes the file's profiles plus every event it logged. */
  function catchUp(): void {
    cache.check();
    const through = selectThrough.get() ?? 0;
    const fileLast = lastSeqStmt.get() ?? 0;
    if (base === through && last === fileLast) return;
    held.clear();
    cache.clear();
    for (const row of selectLogged.iterate(through)) {
      for (const write of projectEntry(entryFromRow(row), row.seq, heldOrFile).writes) {
        // A row written in part of a bulk write already holds this event (writeSome).
        if ((fromFile(write.kind, write.id)?.lastSeq ?? 0) >= row.seq) continue;
        held.set(keyOf(write.kind, write.id), write);
      }
    }
    base = through;
    last = fileLast;
  }

  /** Writes the first `max` rows held to the file, and `through` once none is left. */
  const writeHeld = db.transaction((max: number) => {
    catchUp();
    if (held.size === 0 && base === last) return;
    let written = 0;
    for (const [key, row] of held) {
      if (written++ === max) break;
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
      held.delete(key);
      cache.set(row);
    }
    if (held.size === 0) {
      updateThrough.run(last);
      base = last;
    }
  });

  function writeSome(max: number): number {
    // Nothing held: still catch up when another connection logged events past `through`.
    if (base !== null && base === last && held.size === 0) {
      if (selectThrough.get() === base && (lastSeqStmt.get() ?? 0) === last) return 0;
    }
    try {
      writeHeld.immediate(max);
    } catch (error) {
      // Rolled back: what was held and written in it is read from the file again next time.
      base = null;
      held.clear();
      cache.clear();
      throw error;
    }
    return held.size;
  }

  return {
    begin(lastSeq) {
      batch.clear();
      cache.check();
      if (base !== null && last === lastSeq && selectThrough.get() === base) return;
      catchUp();
    },
    load(kind, id) {
      return batch.get(keyOf(kind, id)) ?? heldOrFile(kind, id);
    },
    stage(row) {
      batch.set(keyOf(row.kind, row.id), row);
    },
    committed(lastSeq) {
      for (const [key, row] of batch) held.set(key, row);
      batch.clear();
      last = lastSeq;
    },
    rolledBack() {
      batch.clear();
      held.clear();
      cache.clear();
      base = null;
    },
    due() {
      return held.size >= MAX_HELD_PROFILES || (base !== null && last - base >= MAX_WAITING_EVENTS);
    },
    write() {
      writeSome(Infinity);
    },
    writeSome,
  };
}

/** How many rows one transaction of the periodic write holds: a few milliseconds of the loop. */
const ROWS_PER_TURN = 256;

/**
 * Writes the rows held every `periodMs`, in transactions of {@link ROWS_PER_TURN} rows, one per turn
 * of the event loop, so that no append waits long behind them. A failure (a full disk) leaves them
 * to the next period, and to the file (they are projected from it again); the reads of profiles,
 * which write first, report it, and so do the appends.
 */
export function scheduleProfileWrites(profiles: ProfileWriter, periodMs: number): { stop(): void } {
  let stopped = false;
  let writing = false;
  const writeTurn = () => {
    let left = 0;
    try {
      if (!stopped) left = profiles.writeSome(ROWS_PER_TURN);
    } catch {
      left = 0;
    }
    writing = left > 0;
    if (writing) setImmediate(writeTurn);
  };
  const timer = setInterval(() => {
    if (writing) return;
    writing = true;
    writeTurn();
  }, periodMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** Writes every row held now; a failure is left as {@link scheduleProfileWrites} leaves it. */
export function writeProfilesNow(profiles: Pick<ProfileWriter, 'write'>): void {
  try {
    profiles.write();
  } catch {
    // Reported by the next read of profiles, and by the appends.
  }
}
