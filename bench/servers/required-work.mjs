// Experiment (1d): the work timhook cannot skip, on the floor's commit. The floor (1c) plus the
// real receiver (Sign, query, JSON, zod schema, names), the log entry (describeEvent, SHA-256
// dedupe key), the projection planned in memory (projectEntry on a Map of profiles), and a row of
// (seq, received_at, group_id, raw, diff) per event, one transaction per turn (WAL, FULL); OK after
// the commit. No dedupe lookup, no head, no index, no profile rows written.
import { createServer } from 'node:http';
import Database from 'better-sqlite3';
import { createReceiver, handleNodeRequest, writeResult } from '../../dist/receiver/index.js';
import { toLogEntry } from '../../dist/store/index.js';
import { projectEntry } from '../../dist/store/project-entry.js';

const [path, sdkAppId, token] = process.argv.slice(2);
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, group_id TEXT, raw TEXT NOT NULL, diff TEXT NOT NULL)`);
const insert = db.prepare(
  'INSERT INTO events (seq, received_at, group_id, raw, diff) VALUES (?, ?, ?, ?, ?)',
);
const profiles = new Map();
let seq = 0;
const insertAll = db.transaction(function logRows(rows) {
  for (const row of rows) {
    const entry = row.entry;
    const projection = projectEntry(entry, ++seq, (kind, id) => profiles.get(`${kind}:${id}`) ?? null);
    for (const p of projection.writes) profiles.set(`${p.kind}:${p.id}`, p);
    insert.run(seq, entry.receivedAt, entry.groupId, entry.rawBody, JSON.stringify(projection.diff));
  }
});
let batch = [];
function commit() {
  const answering = batch;
  batch = [];
  insertAll(answering);
  for (const row of answering) row.resolve();
}
const receiver = createReceiver({ sdkAppId, tokens: [token] });
receiver.onAny(
  (event) =>
    new Promise((resolve) => {
      if (batch.length === 0) setImmediate(commit);
      batch.push({ entry: toLogEntry(event), resolve });
    }),
);
const server = createServer({ keepAlive: true }, (req, res) => {
  handleNodeRequest(receiver, req).then((result) => writeResult(res, result));
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
