// Baseline (1c): the durable SQLite floor. node:http, JSON.parse, the Sign check; group commit:
// every callback read in one turn of the event loop is inserted in one better-sqlite3 transaction
// (WAL, synchronous=FULL) into one table, and each is answered OK only after that commit.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import Database from 'better-sqlite3';

const [path, sdkAppId, token] = process.argv.slice(2);
const OK = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}';
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  received_at INTEGER NOT NULL,
  group_id TEXT,
  raw TEXT NOT NULL
)`);
const insert = db.prepare('INSERT INTO events (received_at, group_id, raw) VALUES (?, ?, ?)');
const insertAll = db.transaction(function logRows(rows) {
  for (const row of rows) insert.run(row.receivedAt, row.groupId, row.raw);
});
let batch = [];

function answer(res, status, text) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': text.length });
  res.end(text);
}

function signed(query) {
  if (query.get('SdkAppid') !== sdkAppId) return false;
  const expected = createHash('sha256')
    .update(`${token}${query.get('RequestTime')}`)
    .digest();
  const sign = Buffer.from(query.get('Sign') ?? '', 'hex');
  return sign.length === expected.length && timingSafeEqual(sign, expected);
}

function commit() {
  const answering = batch;
  batch = [];
  insertAll(answering);
  for (const { res } of answering) answer(res, 200, OK);
}

const server = createServer({ keepAlive: true }, (req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const query = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1));
    if (!signed(query))
      return answer(res, 401, '{"ActionStatus":"FAIL","ErrorInfo":"bad Sign","ErrorCode":1}');
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = JSON.parse(raw);
    if (batch.length === 0) setImmediate(commit);
    batch.push({ receivedAt: Date.now(), groupId: body.GroupId ?? null, raw, res });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
