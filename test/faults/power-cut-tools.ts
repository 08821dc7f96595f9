import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Compiles `power-cut.c` into `dir` and returns the shared object's path: loaded with LD_PRELOAD,
 * it journals what every write to the files `POWER_CUT_FILES` names replaces, and every sync of
 * them, in `POWER_CUT_JOURNAL` (see {@link rollBackPowerCut}).
 */
export function buildPowerCut(dir: string): string {
  const source = new URL('./power-cut.c', import.meta.url).pathname;
  const output = join(dir, 'power-cut.so');
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-Wall', '-o', output, source, '-ldl', '-lpthread'], {
      stdio: 'pipe',
    });
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? 'no C compiler: the power-cut test builds a tiny LD_PRELOAD shim with `cc` (install gcc or clang)'
        : `cc could not build ${source}: ${String((error as { stderr?: unknown }).stderr ?? error).trim()}`,
    );
  }
  return output;
}

/** A change the journal can undo: the bytes and the size it replaced. */
interface Change {
  index: number;
  path: string;
  offset: number;
  sizeBefore: number;
  old: Buffer;
}

/** What a roll-back did, per file. */
export interface RollBack {
  files: Record<string, { changes: number; syncs: number; undone: number; bytesUndone: number }>;
  /** Bytes at the journal's end that form no whole record (the kill came while one was written). */
  tornTail: number;
}

/** Reads the journal `power-cut.c` wrote: its changes, and per file how many changes a sync made durable. */
function readJournal(journal: Buffer): {
  changes: Change[];
  durable: Map<string, number>;
  syncs: Map<string, number>;
  tornTail: number;
} {
  const changes: Change[] = [];
  const durable = new Map<string, number>();
  const syncs = new Map<string, number>();
  let at = 0;
  const need = (bytes: number) => at + bytes <= journal.length;
  while (need(5)) {
    const start = at;
    const type = String.fromCharCode(journal[at]!);
    const pathLength = journal.readUInt32LE(at + 1);
    if (!need(5 + pathLength)) break;
    const path = journal.toString('utf8', at + 5, at + 5 + pathLength);
    at += 5 + pathLength;
    if (type === 'S') {
      if (!need(8)) {
        at = start;
        break;
      }
      const before = Number(journal.readBigUInt64LE(at));
      at += 8;
      durable.set(path, Math.max(durable.get(path) ?? 0, before));
      syncs.set(path, (syncs.get(path) ?? 0) + 1);
      continue;
    }
    if (type !== 'W' && type !== 'T') throw new Error(`the power-cut journal is corrupt at byte ${start}`);
    if (!need(24)) {
      at = start;
      break;
    }
    const offset = Number(journal.readBigInt64LE(at));
    const sizeBefore = Number(journal.readBigInt64LE(at + 8));
    const length = Number(journal.readBigUInt64LE(at + 16));
    if (!need(24 + length)) {
      at = start;
      break;
    }
    const old = journal.subarray(at + 24, at + 24 + length);
    at += 24 + length;
    changes.push({ index: changes.length, path, offset, sizeBefore, old });
  }
  return { changes, durable, syncs, tornTail: journal.length - at };
}

/**
 * Puts the journaled files back as a power cut at the moment the process died would leave them,
 * in its worst case: every change no sync made durable is lost. Undoes those changes, last first:
 * each one's old bytes written back and its file cut (or grown) back to the size it had.
 */
export function rollBackPowerCut(journalPath: string): RollBack {
  const { changes, durable, syncs, tornTail } = readJournal(readFileSync(journalPath));
  const files: RollBack['files'] = {};
  for (const change of changes) {
    files[change.path] ??= { changes: 0, syncs: syncs.get(change.path) ?? 0, undone: 0, bytesUndone: 0 };
    files[change.path]!.changes++;
  }
  const lost = changes.filter((change) => change.index >= (durable.get(change.path) ?? 0)).reverse();
  const descriptors = new Map<string, number>();
  try {
    for (const change of lost) {
      let fd = descriptors.get(change.path);
      if (fd === undefined) {
        fd = openSync(change.path, 'r+');
        descriptors.set(change.path, fd);
      }
      ftruncateSync(fd, change.sizeBefore);
      if (change.old.length > 0) writeSync(fd, change.old, 0, change.old.length, change.offset);
      files[change.path]!.undone++;
      files[change.path]!.bytesUndone += change.old.length;
    }
  } finally {
    for (const fd of descriptors.values()) closeSync(fd);
  }
  return { files, tornTail };
}
