// The receiver against a bare node:http server, same load, same run.
//
//   npm run bench:receiver [-- --rounds 7 --duration 3 --warmup 2 --connections 50]
//
// Each server runs in its own child process; this process is the load generator (autocannon).
// Both get the same requests: the seed's full group-change body, POSTed to a URL signed with a
// fresh RequestTime (the path is re-signed whenever the second changes). The bare server only
// reads the body, JSON.parses it and answers the same envelope; the receiver verifies SdkAppid,
// Sign and RequestTime, reads and limits the body, parses and validates it, runs one empty
// handler and answers. Rounds alternate between the two, each round's ratio taken from its own
// pair of runs a few seconds apart, and the headline is the median of those ratios: on a shared
// machine other work comes and goes, and short alternating pairs keep it out of the ratio. Each
// server's CPU time per request is printed too, a figure a busy machine disturbs less.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { helpIfAsked } from './lib/usage.mjs';

const APP_ID = '1400000000';
const TOKEN = 'bench-callback-token';
const COMMAND = 'Group.CallbackAfterGroupInfoChanged';
const SEED = 'group-info-changed-both';
const TARGET = 0.85;
const OK_JSON = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}';

helpIfAsked(import.meta.url);
const { values: args } = parseArgs({
  options: {
    serve: { type: 'string' },
    rounds: { type: 'string', default: '7' },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
  },
});

if (args.serve) await serve(args.serve);
else await main();

/** Child: start one server on a free port and report the port. */
async function serve(kind) {
  let listener;
  if (kind === 'receiver') {
    const { createReceiver, toNodeHandler } = await import('../dist/receiver/index.js');
    const receiver = createReceiver({ sdkAppId: APP_ID, tokens: [TOKEN] });
    receiver.on(COMMAND, () => {});
    listener = toNodeHandler(receiver);
  } else {
    listener = function bareHandler(req, res) {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(OK_JSON),
        });
        res.end(OK_JSON);
      });
    };
  }
  const server = http.createServer(listener);
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  // The parent asks for this process's CPU time around each round.
  process.on('message', () => {
    const { user, system } = process.cpuUsage();
    process.send({ cpuMicros: user + system });
  });
  process.on('disconnect', () => process.exit(0));
}

/** Parent: start both servers, check them, load them in alternating rounds, print the figures. */
async function main() {
  const { default: autocannon } = await import('autocannon');
  const { computeSign } = await import('../dist/protocol/index.js');
  const rounds = Number(args.rounds);
  const duration = Number(args.duration);
  const warmup = Number(args.warmup);
  const connections = Number(args.connections);
  const body = readFileSync(new URL(`../test/fixtures/seeds/${SEED}.json`, import.meta.url));

  let signedSecond = -1;
  let signedPath = '';
  /** The callback path signed for the current second, made once per second. */
  function currentPath() {
    const second = Math.floor(Date.now() / 1000);
    if (second !== signedSecond) {
      signedSecond = second;
      const query = new URLSearchParams({
        SdkAppid: APP_ID,
        CallbackCommand: COMMAND,
        contenttype: 'json',
        ClientIP: '203.0.113.7',
        OptPlatform: 'RESTAPI',
        Sign: computeSign(TOKEN, second),
        RequestTime: String(second),
      });
      signedPath = `/callback?${query}`;
    }
    return signedPath;
  }

  const servers = {
    bare: await startChild('bare'),
    receiver: await startChild('receiver'),
  };
  try {
    for (const [kind, { port }] of Object.entries(servers)) await checkServer(kind, port);

    const load = (port, seconds) =>
      autocannon({
        url: `http://127.0.0.1:${port}`,
        connections,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            body,
            setupRequest(request) {
              request.path = currentPath();
              return request;
            },
          },
        ],
      });

    console.log(
      `timhook receiver benchmark: Node ${process.version}, ${os.cpus().length} CPUs, autocannon, ` +
        `${connections} connections, ${rounds} × ${duration} s rounds after ${warmup} s warm-up each; ` +
        `body ${SEED}.json (${body.length} bytes), signed URLs`,
    );
    for (const { port } of Object.values(servers)) await load(port, warmup);

    const results = { bare: [], receiver: [] };
    for (let round = 1; round <= rounds; round++) {
      // Alternate which goes first, so neither always runs on a warmer machine.
      const order = round % 2 === 1 ? ['bare', 'receiver'] : ['receiver', 'bare'];
      for (const kind of order) {
        const cpuBefore = await servers[kind].cpuMicros();
        const result = await load(servers[kind].port, duration);
        // Server CPU per answered request: less sensitive than req/s to a busy machine.
        result.cpuPerRequest = ((await servers[kind].cpuMicros()) - cpuBefore) / result.requests.total;
        if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
          throw new Error(
            `${kind}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`,
          );
        }
        results[kind].push(result);
        console.log(`round ${round}  ${line(kind, result)}`);
      }
      const ratio = results.receiver[round - 1].requests.average / results.bare[round - 1].requests.average;
      console.log(`round ${round}  ratio receiver/bare ${ratio.toFixed(3)}`);
    }

    const ratios = results.receiver.map((r, i) => r.requests.average / results.bare[i].requests.average);
    const medianRatio = median(ratios);
    for (const kind of ['bare', 'receiver']) {
      const rs = results[kind];
      console.log(
        `median   ${label(kind)} ${fmt(median(rs.map((r) => r.requests.average)))} req/s  ` +
          `p50 ${median(rs.map((r) => r.latency.p50))} ms  p99 ${median(rs.map((r) => r.latency.p99))} ms  ` +
          `server CPU ${median(rs.map((r) => r.cpuPerRequest)).toFixed(1)} µs/request`,
      );
    }
    const cpuRatios = results.receiver.map((r, i) => results.bare[i].cpuPerRequest / r.cpuPerRequest);
    console.log(
      `cpu      bare/receiver CPU per request ${median(cpuRatios).toFixed(3)} (median of ${rounds} rounds)`,
    );
    console.log(
      `ratio    receiver/bare ${medianRatio.toFixed(3)} (median of ${rounds} rounds: ` +
        `${ratios.map((r) => r.toFixed(3)).join(', ')}); target ≥ ${TARGET}: ` +
        `${medianRatio >= TARGET ? 'met' : 'NOT MET'}`,
    );
  } finally {
    for (const { child } of Object.values(servers)) child.kill();
  }
}

function startChild(kind) {
  return new Promise((resolve, reject) => {
    const child = fork(new URL(import.meta.url), ['--serve', kind], { stdio: 'inherit' });
    const cpuMicros = () =>
      new Promise((answer) => {
        child.once('message', (message) => answer(message.cpuMicros));
        child.send('cpu');
      });
    child.once('message', ({ port }) => resolve({ child, port, cpuMicros }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

/** One signed request through each server before the load: both must answer the OK envelope. */
async function checkServer(kind, port) {
  const { computeSign } = await import('../dist/protocol/index.js');
  const second = Math.floor(Date.now() / 1000);
  const query = new URLSearchParams({
    SdkAppid: APP_ID,
    CallbackCommand: COMMAND,
    Sign: computeSign(TOKEN, second),
    RequestTime: String(second),
  });
  const body = readFileSync(new URL(`../test/fixtures/seeds/${SEED}.json`, import.meta.url));
  const response = await fetch(`http://127.0.0.1:${port}/callback?${query}`, { method: 'POST', body });
  const text = await response.text();
  if (response.status !== 200 || text !== OK_JSON) {
    throw new Error(`${kind} server answered ${response.status} ${text}`);
  }
}

function label(kind) {
  return kind === 'bare' ? 'bare node:http' : 'receiver      ';
}

function line(kind, result) {
  return (
    `${label(kind)} ${fmt(result.requests.average)} req/s  ` +
    `p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  ` +
    `server CPU ${result.cpuPerRequest.toFixed(1)} µs/request  (${result.requests.total} requests)`
  );
}

function fmt(n) {
  return Math.round(n).toString().padStart(6);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
