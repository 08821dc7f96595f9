// Baseline (1b): the durable file floor. node:http, JSON.parse, the Sign check, the body appended
// to a file; group commit: every body read in one turn of the event loop is written with one
// write and one fdatasync, and each is answered OK only after that fdatasync.
import { createHash, timingSafeEqual } from 'node:crypto';
import { fdatasync, openSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';

const [path, sdkAppId, token] = process.argv.slice(2);
const OK = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}';
const fd = openSync(path, 'a');
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
  writeSync(fd, answering.map((b) => b.line).join(''));
  fdatasync(fd, (error) => {
    if (error) throw error;
    for (const { res } of answering) answer(res, 200, OK);
  });
}

const server = createServer({ keepAlive: true }, (req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const query = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1));
    if (!signed(query))
      return answer(res, 401, '{"ActionStatus":"FAIL","ErrorInfo":"bad Sign","ErrorCode":1}');
    const raw = Buffer.concat(chunks).toString('utf8');
    JSON.parse(raw);
    if (batch.length === 0) setImmediate(commit);
    batch.push({ line: `${raw}\n`, res });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
