// `npm run bench:append`: the cost of the SQLite append transaction alone, per event, against a
// plain insert of the same callbacks in one run. No HTTP, no fsync (synchronous=NORMAL, checkpoints
// off): what the recorder's event loop spends per event in the transaction, and how many WAL pages
// it writes.
//   (1) baseline: one INSERT per event of its body and dedupe key into a table with a unique key,
//       in one transaction per batch — a log with no projection, no diff, no history index;
//   (2) timhook: `createSqliteAppend`, the recorder's transaction (log row, field index, profile
//       merge and diff) and the event's API JSON, and what it writes behind the OK (profiles,
//       dedupe keys, group events: sqlite/deferred-writes.ts), written every 6,000 events or so,
//       as the recorder under this bench's load writes them about once a second.
// Same entries for both (the recorder benchmark's bodies through `toLogEntry`); alternating
// rounds; medians.
//
//   node bench/sqlite-append.mjs [--rounds 5] [--batches 400] [--batch 24] [--groups 1000]
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { createSqliteAppend } from '../dist/store/sqlite/append.js';
import { createDeferredWrites } from '../dist/store/sqlite/deferred-writes.js';
import { openSqliteDatabase } from '../dist/store/sqlite/database.js';
import { median } from './lib/load.mjs';
import { logEntryOf } from './lib/traffic.mjs';
import { helpIfAsked } from './lib/usage.mjs';
import { scratchDir } from './lib/scratch.mjs';

helpIfAsked(import.meta.url);
const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    batches: { type: 'string', default: '400' },
    batch: { type: 'string', default: '24' },
    groups: { type: 'string', default: '1000' },
  },
});
const rounds = Number(flags.rounds);
const batches = Number(flags.batches);
const batchSize = Number(flags.batch);
const groups = Number(flags.groups);
const perRound = batches * batchSize;
const WAL_FRAME = 4096 + 24;
/** Events between two writes of what the recorder writes behind the OK. */
const DEFERRED_EVERY = 6000;

const dir = scratchDir('timhook-bench-append-');
let next = 0;
function openTimhook() {
  const db = openSqliteDatabase({ path: join(dir, 'timhook.db'), durability: 'normal' });
  db.pragma('wal_autocheckpoint = 0');
  const deferred = createDeferredWrites(db);
  const append = createSqliteAppend(db, deferred);
  let since = 0;
  return {
    db,
    path: join(dir, 'timhook.db'),
    append(entries) {
      append(entries);
      since += entries.length;
      if (since >= DEFERRED_EVERY) {
        deferred.write();
        since = 0;
      }
    },
    finish: () => deferred.write(),
  };
}

function openBaseline() {
  const path = join(dir, 'baseline.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec(
    'CREATE TABLE events (seq INTEGER PRIMARY KEY, received_at INTEGER, body TEXT, dedupe_key TEXT UNIQUE)',
  );
  const insert = db.prepare('INSERT OR IGNORE INTO events (received_at, body, dedupe_key) VALUES (?, ?, ?)');
  const append = db.transaction((entries) => {
    for (const entry of entries) insert.run(entry.receivedAt, entry.rawBody, entry.dedupeKey);
  });
  return { db, path, append: (entries) => append.immediate(entries) };
}

/** Appends `perRound` fresh entries; µs per event and WAL pages per event. */
function measure(store) {
  const work = Array.from({ length: batches }, () =>
    Array.from({ length: batchSize }, () => logEntryOf(next++, groups)),
  );
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  const start = process.hrtime.bigint();
  for (const entries of work) store.append(entries);
  store.finish?.();
  const us = Number(process.hrtime.bigint() - start) / 1000 / perRound;
  const pages = statSync(`${store.path}-wal`).size / WAL_FRAME / perRound;
  return { us, pages };
}

const stores = { baseline: openBaseline(), timhook: openTimhook() };
const results = { baseline: [], timhook: [] };
const fmt = (n, digits = 1) => n.toFixed(digits);
try {
  console.log(
    `SQLite append transaction — node ${process.version}, ${rounds} rounds × ${batches} batches of ${batchSize}, ${groups} groups, synchronous=NORMAL, no checkpoints`,
  );
  for (const key of ['baseline', 'timhook']) measure(stores[key]); // warm-up
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? ['baseline', 'timhook'] : ['timhook', 'baseline'];
    for (const key of order) {
      const result = measure(stores[key]);
      results[key].push(result);
      console.log(
        `round ${round}  ${key.padEnd(8)}  ${fmt(result.us).padStart(6)} µs/event  ${fmt(result.pages, 2)} WAL pages/event`,
      );
    }
  }
  const us = (key) => median(results[key].map((r) => r.us));
  const pages = (key) => median(results[key].map((r) => r.pages));
  console.log('');
  console.log(
    `median  (1) baseline insert   ${fmt(us('baseline'))} µs/event, ${fmt(pages('baseline'), 2)} WAL pages/event`,
  );
  console.log(
    `median  (2) timhook append    ${fmt(us('timhook'))} µs/event, ${fmt(pages('timhook'), 2)} WAL pages/event`,
  );
  console.log(
    `ratio (2)/(1): ${fmt(us('timhook') / us('baseline'), 2)}× the time (median of per-round ratios ${fmt(
      median(results.timhook.map((r, i) => r.us / results.baseline[i].us)),
      2,
    )}×)`,
  );
} finally {
  for (const store of Object.values(stores)) store.db.close();
}
