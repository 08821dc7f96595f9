// Reads a V8 .cpuprofile (node --cpu-prof) and lists where the time went.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Self time per function (name + file:line), biggest first, as shares of the sampled time. */
export function topFunctions(file, count = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const deltas = profile.timeDeltas;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const dt = deltas[i] ?? 0;
    total += dt;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url
      ? `${url.replace(/^file:\/\/.*?\/(node_modules|dist|bench)\//, '$1/')}:${lineNumber + 1}`
      : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, count);
  return {
    totalMs: total / 1000,
    rows: rows.map(([name, us]) => ({ name, ms: us / 1000, share: us / total })),
  };
}

/** Self time summed per area: SQLite (native), GC, idle, our dist/ files, node internals, deps. */
export function timeByArea(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const areas = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const { functionName, url } = byId.get(profile.samples[i]).callFrame;
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    let area;
    if (functionName === '(idle)') area = 'idle';
    else if (functionName === '(garbage collector)') area = 'gc';
    else if (functionName === '(program)') area = 'program (native, incl. syscalls)';
    else if (url.includes('/dist/')) area = `timhook ${url.replace(/^.*\/dist\//, '')}`;
    else if (url.includes('/node_modules/'))
      area = `dep ${url.replace(/^.*\/node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1')}`;
    else if (url.startsWith('node:')) area = `node ${url.slice(5)}`;
    else area = functionName ? `native ${functionName}` : 'other';
    areas.set(area, (areas.get(area) ?? 0) + dt);
  }
  return [...areas.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([area, us]) => ({ area, ms: us / 1000, share: us / total }));
}

/** Prints a profile's top functions and areas. */
export function printProfile(dir, count = 25) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  for (const name of files) {
    const file = join(dir, name);
    const top = topFunctions(file, count);
    console.log(`\nCPU profile ${file} (${(top.totalMs / 1000).toFixed(1)} s sampled)`);
    console.log('  self time by area:');
    for (const row of timeByArea(file).slice(0, 20)) {
      console.log(`    ${(row.share * 100).toFixed(1).padStart(5)}%  ${row.area}`);
    }
    console.log('  top functions by self time:');
    for (const row of top.rows) console.log(`    ${(row.share * 100).toFixed(1).padStart(5)}%  ${row.name}`);
    const stages = inclusiveTime(file, PIPELINE_STAGES);
    console.log('  pipeline stages, time inclusive of callees, share of the busy (non-idle) time:');
    for (const row of stages.rows) {
      if (row.ms > 0) console.log(`    ${(row.share * 100).toFixed(1).padStart(5)}%  ${row.name}`);
    }
  }
}

/** Functions of the recorder's callback and history paths worth timing with their callees. */
const PIPELINE_STAGES = [
  'receiveNodeRequest',
  'verifyQuery',
  'collectNodeBody',
  'readEvent',
  'toLogEntry',
  'dedupeKey',
  'enqueueAppend',
  'flush',
  'sqliteTransaction',
  'appendEntries',
  'projectEntry',
  'writeResult',
  'listEvents',
  'listRendered',
  'sendEventPage',
  'toRecordedEvent',
  'sendJson',
  '(garbage collector)',
];

/** Inclusive time (self and callees) of the functions named `names`, counted once per sample. */
export function inclusiveTime(file, names) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map(names.map((n) => [n, 0]));
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    let id = profile.samples[i];
    if (byId.get(id).callFrame.functionName === '(idle)') continue;
    busy += dt;
    const seen = new Set();
    while (id !== undefined) {
      const name = byId.get(id).callFrame.functionName;
      if (totals.has(name) && !seen.has(name)) {
        seen.add(name);
        totals.set(name, totals.get(name) + dt);
      }
      id = parent.get(id);
    }
  }
  return {
    busyMs: busy / 1000,
    rows: [...totals.entries()].map(([name, us]) => ({ name, ms: us / 1000, share: us / busy })),
  };
}
