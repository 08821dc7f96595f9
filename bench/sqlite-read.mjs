// `node bench/sqlite-read.mjs`: what reading the SQLite log costs per event, as the relay reads
// it: every event after a cursor, in pages of `--page`, through the reader's `listRendered`, each
// event's JSON then encoded once (as a sink does before it sends it). One build or several: each
// logs the same `--events` callbacks (the recorder benchmark's bodies, `--groups` groups) into a
// file of its own with its own append, then the builds read their files in alternating rounds.
// Prints each round's CPU per event, the medians, and each build's ratio to the first.
//
//   node bench/sqlite-read.mjs [dist other/dist ...] [--events 50000] [--page 500] [--rounds 5]
//                              [--groups 1000]
// A build is a `dist` folder (default: this checkout's); older layouts (store/sqlite-append.js)
// are found too.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './lib/load.mjs';
import { logEntryOf } from './lib/traffic.mjs';
import { helpIfAsked } from './lib/usage.mjs';
import { scratchDir } from './lib/scratch.mjs';

helpIfAsked(import.meta.url);
const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    events: { type: 'string', default: '50000' },
    page: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '5' },
    groups: { type: 'string', default: '1000' },
  },
});
const events = Number(flags.events);
const page = Number(flags.page);
const rounds = Number(flags.rounds);
const groups = Number(flags.groups);
const dists = (positionals.length > 0 ? positionals : [new URL('../dist', import.meta.url).pathname]).map(
  (dist) => resolve(dist),
);

/** The module of `dist` at `current` (store/sqlite/x.js), or at `older` (store/sqlite-x.js). */
async function load(dist, current, older) {
  const path = existsSync(join(dist, current)) ? join(dist, current) : join(dist, older);
  return import(pathToFileURL(path).href);
}

const dir = scratchDir('timhook-bench-read-');
const builds = [];
try {
  const entries = Array.from({ length: events }, (_, n) => logEntryOf(n, groups));
  for (const [index, dist] of dists.entries()) {
    const { openSqliteDatabase } = await load(dist, 'store/sqlite/database.js', 'store/sqlite-database.js');
    const { createSqliteAppend } = await load(dist, 'store/sqlite/append.js', 'store/sqlite-append.js');
    const { createSqliteReader } = await load(dist, 'store/sqlite/reader.js', 'store/sqlite-reader.js');
    const db = openSqliteDatabase({ path: join(dir, `build-${index}.db`), durability: 'normal' });
    // Since schema version 10 the append is given what it writes behind the OK.
    const deferred = existsSync(join(dist, 'store/sqlite/deferred-writes.js'))
      ? (await load(dist, 'store/sqlite/deferred-writes.js')).createDeferredWrites(db)
      : undefined;
    const append = createSqliteAppend(db, deferred);
    for (let i = 0; i < entries.length; i += 500) append(entries.slice(i, i + 500));
    deferred?.write();
    builds.push({ dist, db, reader: createSqliteReader(db), us: [] });
  }

  /** Reads the whole log after seq 0, a page at a time; CPU µs per event. */
  async function readAll(build) {
    const start = process.cpuUsage();
    let after = 0;
    let count = 0;
    for (;;) {
      const { events: got } = await build.reader.listRendered({ after, limit: page, order: 'asc' });
      if (got.length === 0) break;
      for (const event of got) Buffer.byteLength(event.json);
      count += got.length;
      after = got[got.length - 1].seq;
    }
    if (count !== events) throw new Error(`${build.dist}: read ${count} events, logged ${events}`);
    const used = process.cpuUsage(start);
    return (used.user + used.system) / count;
  }

  console.log(
    `SQLite log read — node ${process.version}, ${events} events of ${groups} groups, pages of ${page}, ${rounds} rounds`,
  );
  for (const build of builds) await readAll(build); // warm-up
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? builds : [...builds].reverse();
    for (const build of order) {
      const us = await readAll(build);
      build.us.push(us);
      console.log(`round ${round}  ${build.dist.padEnd(40)}  ${us.toFixed(2).padStart(6)} µs CPU/event`);
    }
  }
  console.log('\nmedians, and the ratio to the first build:');
  const first = median(builds[0].us);
  for (const build of builds) {
    const us = median(build.us);
    console.log(`  ${build.dist.padEnd(40)}  ${us.toFixed(2).padStart(6)} µs  ${(us / first).toFixed(2)}`);
  }
} finally {
  for (const build of builds) build.db.close();
}
