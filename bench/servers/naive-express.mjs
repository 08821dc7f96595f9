// Baseline (2): what an app team typically writes — Express, express.json(), a Sign check by
// comparing sha256 hex strings, and one synchronous SQLite INSERT (its own fsynced transaction)
// per callback, WAL with synchronous=FULL.
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import express from 'express';

const [dbPath, sdkAppId, token] = process.argv.slice(2);
const db = new Database(dbPath);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE IF NOT EXISTS group_changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id TEXT NOT NULL,
  command TEXT NOT NULL,
  operator TEXT,
  body TEXT NOT NULL,
  received_at INTEGER NOT NULL
)`);
const insert = db.prepare(
  'INSERT INTO group_changes (group_id, command, operator, body, received_at) VALUES (?, ?, ?, ?, ?)',
);

const app = express();
app.post('/callback', express.json(), (req, res) => {
  const { SdkAppid, Sign, RequestTime } = req.query;
  if (SdkAppid !== sdkAppId) {
    return res.status(403).json({ ActionStatus: 'FAIL', ErrorInfo: 'bad SdkAppid', ErrorCode: 1 });
  }
  const expected = createHash('sha256').update(`${token}${RequestTime}`).digest('hex');
  if (Sign !== expected) {
    return res.status(401).json({ ActionStatus: 'FAIL', ErrorInfo: 'bad Sign', ErrorCode: 1 });
  }
  const body = req.body;
  insert.run(body.GroupId, body.CallbackCommand, body.Operator_Account, JSON.stringify(body), Date.now());
  res.json({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });
});

const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => server.close(() => process.exit(0)));
