// The emulator's two rates, each beside a bare node:http baseline measured in the same run:
//
//   npm run bench:emulator [-- --callbacks 20000 --duration 5 --warmup 2 --connections 32]
//
// 1. Callbacks delivered per second to a bare node:http receiver (its own child process: it reads
//    the body, JSON.parses it and answers the OK envelope). The emulator's dispatcher — the code
//    every emulated change goes through: body serialised, URL built and signed, POST over a
//    kept-alive agent, answer read and judged, attempt logged — delivers N callbacks spread over
//    1 group (strictly one at a time, the per-group order) and over 64 groups (in parallel). The
//    baseline is a plain node:http client posting the same body to the same receiver with the
//    same agent and the same concurrency, building and signing nothing.
// 2. REST calls served per second (autocannon from this process, the emulator in a child):
//    get_group_info, and modify_group_base_info renaming one of 64 groups per call with every
//    callback delivered to the bare receiver (checked: one callback per call). Each call carries
//    a UserSig that is decoded, inflated and HMAC-checked. The baseline is a bare node:http server
//    that reads the body, JSON.parses it and answers the envelope. The real service allows
//    200 calls/s per API.
import { fork } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { helpIfAsked } from './lib/usage.mjs';

const APP_ID = '1400000000';
const SECRET_KEY = 'bench-secret-key';
const TOKEN = 'bench-callback-token';
const OK_JSON = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}';
const GROUPS = 64;

helpIfAsked(import.meta.url);
const { values: args } = parseArgs({
  options: {
    serve: { type: 'string' },
    'callback-url': { type: 'string' },
    callbacks: { type: 'string', default: '20000' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
  },
});

if (args.serve) await serve(args.serve);
else await main();

/** Child: one server on a free port; reports the port, then answers counter queries. */
async function serve(kind) {
  let received = 0;
  if (kind === 'emulator') {
    const { createEmulator } = await import('../dist/emulator/index.js');
    const emulator = createEmulator({
      sdkAppId: APP_ID,
      secretKey: SECRET_KEY,
      callbackUrl: args['callback-url'],
      callbackToken: TOKEN,
      callbacks: { createGroup: false },
      // The bench measures how fast the emulator can serve, so no per-API limit holds it back.
      rateLimits: 'off',
      log: () => {},
    });
    const url = await emulator.start();
    process.send({ port: Number(new URL(url).port) });
  } else {
    const server = http.createServer(function bareHandler(req, res) {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        received++;
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(OK_JSON),
        });
        res.end(OK_JSON);
      });
    });
    server.keepAliveTimeout = 60_000;
    server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  }
  process.on('message', () => {
    const { user, system } = process.cpuUsage();
    process.send({ received, cpuMicros: user + system });
  });
  process.on('disconnect', () => process.exit(0));
}

function startChild(kind, extra = []) {
  return new Promise((resolve, reject) => {
    const child = fork(new URL(import.meta.url), ['--serve', kind, ...extra], { stdio: 'inherit' });
    const stats = () =>
      new Promise((answer) => {
        child.once('message', (message) => answer(message));
        child.send('stats');
      });
    const received = async () => (await stats()).received;
    const cpuMicros = async () => (await stats()).cpuMicros;
    child.once('message', ({ port }) =>
      resolve({ child, port, url: `http://127.0.0.1:${port}`, received, cpuMicros }),
    );
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
}

async function main() {
  const callbacks = Number(args.callbacks);
  const duration = Number(args.duration);
  const warmup = Number(args.warmup);
  const connections = Number(args.connections);
  console.log(
    `timhook emulator benchmark: Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}); ` +
      `every server in its own child process`,
  );
  const receiver = await startChild('receiver');
  const children = [receiver];
  try {
    await benchCallbacks(receiver, callbacks);
    const bareRest = await startChild('bare-rest');
    children.push(bareRest);
    const emulator = await startChild('emulator', ['--callback-url', `${receiver.url}/callback`]);
    children.push(emulator);
    await benchRest({ bareRest, emulator, receiver, duration, warmup, connections });
  } finally {
    for (const { child } of children) child.kill();
  }
}

/** Part 1: the dispatcher against a plain client, both posting to the bare receiver. */
async function benchCallbacks(receiver, total) {
  const { createDispatcher } = await import('../dist/emulator/dispatcher.js');
  const { createDeliveryLog } = await import('../dist/emulator/delivery-log.js');
  const settings = { timeoutMs: 2000, retryOnTimeout: 0, retryIntervalMs: 0, contentType: null };
  const bodyOf = (groupId, i) => ({
    CallbackCommand: 'Group.CallbackAfterGroupInfoChanged',
    GroupId: groupId,
    Type: 'Public',
    Operator_Account: 'administrator',
    Name: `name ${i}`,
    Notification: 'The weekly sync moves to Thursday 10:00.',
    EventTime: Date.now(),
  });
  const groupIds = Array.from({ length: GROUPS }, (_, i) => `@TGS#BENCH${String(i).padStart(5, '0')}`);

  const runEmulator = async (groups) => {
    const log = createDeliveryLog(1000, () => {});
    const outcomes = new Map();
    log.subscribe((record) => outcomes.set(record.outcome, (outcomes.get(record.outcome) ?? 0) + 1));
    const dispatcher = createDispatcher({ settings: () => settings, log, now: Date.now, maxSockets: 32 });
    const before = await receiver.received();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      const groupId = groupIds[i % groups];
      dispatcher.enqueue({
        command: 'Group.CallbackAfterGroupInfoChanged',
        groupId,
        body: bodyOf(groupId, i),
        url: `${receiver.url}/callback`,
        token: TOKEN,
        sdkAppId: APP_ID,
        optPlatform: 'RESTAPI',
        clientIp: '203.0.113.7',
      });
    }
    await dispatcher.idle();
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    dispatcher.close();
    const arrived = (await receiver.received()) - before;
    if (arrived !== total || outcomes.get('ok') !== total) {
      throw new Error(`emulator: ${arrived} of ${total} arrived, outcomes ${JSON.stringify([...outcomes])}`);
    }
    return { rate: total / seconds, cpuPerItem: (cpu.user + cpu.system) / total };
  };

  const runBaseline = async (lanes) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32, maxFreeSockets: 32 });
    const url = `${receiver.url}/callback?SdkAppid=${APP_ID}&CallbackCommand=Group.CallbackAfterGroupInfoChanged`;
    const post = (text) =>
      new Promise((resolve, reject) => {
        const req = http.request(url, {
          method: 'POST',
          agent,
          headers: { 'Content-Length': Buffer.byteLength(text) },
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end(text);
      });
    const before = await receiver.received();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (let i = next++; i < total; i = next++) await post(JSON.stringify(bodyOf(groupIds[lane], i)));
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    agent.destroy();
    const arrived = (await receiver.received()) - before;
    if (arrived !== total) throw new Error(`baseline: ${arrived} of ${total} arrived`);
    return { rate: total / seconds, cpuPerItem: (cpu.user + cpu.system) / total };
  };

  console.log(`\n1. Callbacks delivered to a bare node:http receiver (${total} per run, signed, keep-alive)`);
  // Warm both paths up once, unmeasured.
  await runEmulator(GROUPS);
  await runBaseline(GROUPS);
  for (const groups of [1, GROUPS]) {
    const emulator = await runEmulator(groups);
    const baseline = await runBaseline(groups);
    const what = groups === 1 ? '1 group, one at a time (per-group order)' : `${groups} groups in parallel`;
    console.log(
      `   ${what.padEnd(42)} emulator ${fmt(emulator.rate)} callbacks/s (${emulator.cpuPerItem.toFixed(0)} µs CPU each)   ` +
        `baseline node:http client ${fmt(baseline.rate)} posts/s (${baseline.cpuPerItem.toFixed(0)} µs CPU each)   ` +
        `ratio ${(emulator.rate / baseline.rate).toFixed(2)}`,
    );
  }
}

/** Part 2: autocannon against the bare JSON server and two REST commands of the emulator. */
async function benchRest({ bareRest, emulator, receiver, duration, warmup, connections }) {
  const { default: autocannon } = await import('autocannon');
  const { generateUserSig } = await import('../dist/emulator/index.js');
  const usersig = generateUserSig({ sdkAppId: APP_ID, secretKey: SECRET_KEY, identifier: 'administrator' });
  const query = `sdkappid=${APP_ID}&identifier=administrator&usersig=${usersig}&random=99&contenttype=json`;
  const rest = (command) => `/v4/${command}?${query}`;

  const groupIds = [];
  for (let i = 0; i < GROUPS; i++) {
    const answer = await postJson(`${emulator.url}${rest('group_open_http_svc/create_group')}`, {
      Type: 'Public',
      Name: `group ${i}`,
      Owner_Account: 'leckie',
    });
    if (answer.ActionStatus !== 'OK') throw new Error(`create_group: ${JSON.stringify(answer)}`);
    groupIds.push(answer.GroupId);
  }
  const getBody = JSON.stringify({ GroupIdList: [groupIds[0]] });
  const check = await postJson(
    `${emulator.url}${rest('group_open_http_svc/get_group_info')}`,
    JSON.parse(getBody),
  );
  if (check.ActionStatus !== 'OK' || check.GroupInfo[0].ErrorCode !== 0)
    throw new Error(JSON.stringify(check));

  let counter = 0;
  const scenarios = [
    {
      name: 'bare node:http JSON server (baseline)',
      url: bareRest.url,
      server: bareRest,
      request: { method: 'POST', path: rest('group_open_http_svc/get_group_info'), body: getBody },
    },
    {
      name: 'get_group_info',
      url: emulator.url,
      server: emulator,
      request: { method: 'POST', path: rest('group_open_http_svc/get_group_info'), body: getBody },
    },
    {
      name: 'modify_group_base_info (+1 callback each)',
      url: emulator.url,
      server: emulator,
      modifies: true,
      request: {
        method: 'POST',
        path: rest('group_open_http_svc/modify_group_base_info'),
        setupRequest(request) {
          const n = counter++;
          request.body = JSON.stringify({ GroupId: groupIds[n % GROUPS], Name: `renamed ${n}` });
          return request;
        },
      },
    },
  ];
  const load = (scenario, seconds) =>
    autocannon({ url: scenario.url, connections, duration: seconds, requests: [scenario.request] });

  console.log(
    `\n2. REST calls served (autocannon, ${connections} connections, ${duration} s after ${warmup} s warm-up; ` +
      `UserSig checked on every call)`,
  );
  let baseline = 0;
  for (const scenario of scenarios) {
    if (!scenario.modifies) await load(scenario, warmup);
    const before = await receiver.received();
    const sentBefore = counter;
    const cpuBefore = await scenario.server.cpuMicros();
    const result = await load(scenario, duration);
    let cpuPerCall = ((await scenario.server.cpuMicros()) - cpuBefore) / result.requests.total;
    if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
      throw new Error(
        `${scenario.name}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
      );
    }
    const rate = result.requests.average;
    if (baseline === 0) baseline = rate;
    let extra = '';
    if (scenario.modifies) {
      const drainStarted = performance.now();
      while ((await getJson(`${emulator.url}/emulator/deliveries?limit=1`)).pending > 0) await pause(20);
      const drainSeconds = (performance.now() - drainStarted) / 1000;
      // Here the server's CPU includes delivering every callback, the backlog too.
      cpuPerCall = ((await scenario.server.cpuMicros()) - cpuBefore) / result.requests.total;
      const delivered = (await receiver.received()) - before;
      // Every call renamed a group, so every call the emulator served produced one callback: at
      // least every answered call, at most every call sent (the last few may be cut by the end).
      if (delivered < result.requests.total || delivered > counter - sentBefore) {
        throw new Error(
          `modify: ${result.requests.total} calls answered, ${counter - sentBefore} sent, ${delivered} callbacks delivered`,
        );
      }
      extra = `\n   ${''.padEnd(42)} ${delivered} signed callbacks delivered, one per call; the backlog drained ${drainSeconds.toFixed(2)} s after the load`;
    }
    console.log(
      `   ${scenario.name.padEnd(42)} ${fmt(rate)} calls/s   p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  ` +
        `server CPU ${cpuPerCall.toFixed(0)} µs/call` +
        (scenario === scenarios[0]
          ? ''
          : `   ratio ${(rate / baseline).toFixed(2)}   ${fmt(rate / 200)}× the real 200/s`) +
        extra,
    );
  }
}

async function postJson(url, body) {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  return response.json();
}

async function getJson(url) {
  return (await fetch(url)).json();
}

function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function fmt(n) {
  return Math.round(n).toLocaleString('en-US');
}
