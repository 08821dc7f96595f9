// `npm run bench:instructions`: the CPU a callback costs, counted in machine instructions, for
// `timhook serve` and the recorder benchmark's floor (1c), in one run. A count does not move with
// the machine's speed as times do (valgrind's callgrind counts what the code executes), so it can
// judge a change of a few per cent that the timed benchmarks cannot tell from their noise.
//   1. Start each server under `valgrind --tool=callgrind --separate-threads=yes`: `timhook serve`
//      (the real CLI, a fresh database), (1c) the durable SQLite floor and, with `--servers
//      sqlite,work,timhook`, (1d) the floor with the work the contract requires (bench/servers/).
//   2. Send it `--few` distinct signed callbacks, stop it, and read the instructions each thread
//      executed; start it again and do the same with `--many` callbacks.
//   3. The difference, divided by the difference in callbacks, is the cost of one callback in the
//      steady state: start-up, compiling and shutdown cancel out, once `--few` is past V8's
//      compiling of the hot code (timhook: 352 k per callback from 1,000 and 4,000, 317 k from
//      2,000 and 8,000). Print it for the main thread (the event loop, which bounds the req/s)
//      and for all threads, with each server's ratio to (1c).
//      The main thread's count repeats to within about 1.5% (timhook; 0.2% for (1c)): compare
//      builds in alternating rounds (--rounds). The other threads' counts do not repeat (V8's
//      compiler and collector threads and the checkpointer run on time, not on work).
//   `--cli` may be given more than once: each build is counted in turn, for an A/B of a change.
//   Under valgrind a server runs about 50 times slower, so two settings keep the work per callback
//   near the timed benchmark's: `--connections` (default 10), or all 50 connections would join
//   every commit; `--groups` (default 20, against 1,000), or work done once per second per group
//   (a profile's row, written behind the OK) would come once per callback instead of once per ten.
// Needs valgrind (Debian: apt-get install valgrind). Takes about 8 minutes with the defaults.
//
//   node bench/instructions.mjs [--few 2000] [--many 8000] [--connections 10] [--groups 20]
//                               [--rounds 1] [--cli dist/cli/bin.js]... [--servers sqlite,timhook]
//                               (servers: sqlite, work, timhook)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startUnderLoad } from './lib/child.mjs';
import { median } from './lib/load.mjs';
import { scratchDir } from './lib/scratch.mjs';
import { createCallbackSetup } from './lib/traffic.mjs';
import { helpIfAsked, requireTool } from './lib/usage.mjs';

helpIfAsked(import.meta.url);
const { values: flags } = parseArgs({
  options: {
    few: { type: 'string', default: '2000' },
    many: { type: 'string', default: '8000' },
    connections: { type: 'string', default: '10' },
    groups: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '1' },
    cli: { type: 'string', multiple: true },
    servers: { type: 'string', default: 'sqlite,timhook' },
  },
});

requireTool('valgrind', 'this benchmark counts with it (Debian: apt-get install valgrind)');

const few = Number(flags.few);
const many = Number(flags.many);
if (!(many > few && few > 0)) {
  console.error('--many must be larger than --few, and both above 0');
  process.exit(2);
}

/** The floors this benchmark can count, by their `--servers` name (bench/servers/). */
const FLOORS = {
  sqlite: { label: '(1c) durable SQLite floor', script: 'durable-sqlite.mjs', base: true },
  work: { label: '(1d) required work', script: 'required-work.mjs' },
};

/** What to measure: the floors named, and timhook serve once per `--cli` given (this build's by default). */
const SERVERS = [];
for (const key of flags.servers.split(',')) {
  if (FLOORS[key]) {
    SERVERS.push({
      ...FLOORS[key],
      script: new URL(`./servers/${FLOORS[key].script}`, import.meta.url).pathname,
    });
  } else if (key === 'timhook') {
    for (const cli of flags.cli ?? [undefined]) {
      SERVERS.push({ label: `(3) timhook serve${cli ? ` (${cli})` : ''}`, ...(cli ? { cli } : {}) });
    }
  } else {
    console.error(`unknown server ${key}: sqlite, work or timhook`);
    process.exit(2);
  }
}

/**
 * V8 writes its compiled code into memory and runs it: valgrind must look for code it changed
 * everywhere but in files. Each thread's count goes to a file of its own (`-01` is the main thread).
 */
function callgrindLauncher(dir) {
  return [
    'valgrind',
    '--tool=callgrind',
    '--separate-threads=yes',
    '--smc-check=all-non-file',
    `--callgrind-out-file=${join(dir, 'callgrind.out.%p')}`,
  ];
}

/** Instructions executed by each thread, from callgrind's files in `dir`: `{ main, all }`. */
function readCounts(dir) {
  let main = 0;
  let all = 0;
  for (const name of readdirSync(dir)) {
    const match = /^callgrind\.out\.\d+-(\d+)$/.exec(name);
    if (!match) continue;
    const text = readFileSync(join(dir, name), 'utf8');
    const total = /^(?:summary|totals): (\d+)/m.exec(text);
    if (!total) throw new Error(`no total in ${name}`);
    const count = Number(total[1]);
    all += count;
    if (Number(match[1]) === 1) main = count;
  }
  if (main === 0) throw new Error(`callgrind wrote no count for the main thread in ${dir}`);
  return { main, all };
}

/** Sends exactly `amount` distinct signed callbacks, `connections` at a time; returns callbacks/s. */
async function send(url, amount) {
  const started = performance.now();
  const result = await autocannon({
    url,
    amount,
    connections: Number(flags.connections),
    timeout: 60,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: createCallbackSetup({ groups: Number(flags.groups) }) }],
  });
  if (result['2xx'] !== amount) {
    throw new Error(
      `${amount} callbacks sent, ${result['2xx']} answered 2xx (errors ${result.errors}, non-2xx ${result.non2xx})`,
    );
  }
  return (amount * 1000) / (performance.now() - started);
}

/** Instructions of one server's whole life with `amount` callbacks. */
async function countRun(server, amount) {
  const dir = scratchDir('timhook-instructions-');
  const started = await startUnderLoad('instructions', {
    dir,
    ...(server.script ? { script: server.script } : {}),
    ...(server.cli ? { cli: server.cli } : {}),
    launcher: callgrindLauncher(dir),
    startMs: 300_000,
  });
  // Stopped whatever the load did: callgrind writes its counts as the server exits.
  const sent = await send(`${started.url}/callback`, amount).catch((error) => error);
  const status = await started.stop();
  if (sent instanceof Error) throw sent;
  if (status.signal === 'SIGKILL') throw new Error(`${server.label} did not stop\n${started.tail()}`);
  return { ...readCounts(dir), rate: sent };
}

const perCallback = new Map(SERVERS.map((server) => [server, []]));
for (let round = 1; round <= Number(flags.rounds); round++) {
  for (const server of SERVERS) {
    const small = await countRun(server, few);
    const large = await countRun(server, many);
    const main = (large.main - small.main) / (many - few);
    const all = (large.all - small.all) / (many - few);
    perCallback.get(server).push({ main, all });
    console.log(
      `round ${round}, ${server.label}: ${(main / 1000).toFixed(1)} k instructions per callback on the ` +
        `main thread, ${(all / 1000).toFixed(1)} k in all (${few} and ${many} callbacks: ` +
        `${(small.all / 1e9).toFixed(2)} and ${(large.all / 1e9).toFixed(2)} G; ` +
        `${large.rate.toFixed(0)} callbacks/s under valgrind)`,
    );
  }
}

console.log(
  `\nper callback, median of ${flags.rounds} round(s), ${flags.connections} connections, ${flags.groups} groups:`,
);
const floor = SERVERS.find((server) => server.base);
const floorMain = floor ? median(perCallback.get(floor).map((c) => c.main)) : null;
const floorAll = floor ? median(perCallback.get(floor).map((c) => c.all)) : null;
for (const server of SERVERS) {
  const main = median(perCallback.get(server).map((c) => c.main));
  const all = median(perCallback.get(server).map((c) => c.all));
  const ratio = (value, base) => (base && server !== floor ? ` (${(value / base).toFixed(2)}× (1c))` : '');
  console.log(
    `  ${server.label}: main thread ${(main / 1000).toFixed(1)} k${ratio(main, floorMain)}, ` +
      `all threads ${(all / 1000).toFixed(1)} k${ratio(all, floorAll)}`,
  );
}
