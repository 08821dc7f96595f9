// The HTTP sink alone, without the relay and the store: CPU per message of `createHttpSink` from
// one or more builds, against a node:http server (answers 204, checks nothing) in a child process.
//
//   node bench/http-sink.mjs dist [other/dist ...] [--events 60000] [--rounds 5]
//
// Each build runs in its own child process, the builds alternately, `--rounds` times; a run
// delivers `--events` messages of 1,000 groups in calls of 500, as the relay does (concurrency 16,
// pipelining 8), after one call of warm-up, and prints its process CPU per message. The medians,
// and each build's ratio to the first, are printed at the end. The server is faster than the relay
// benchmark's receiver (which checks signatures), so more answers arrive per read here.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { spawnNode } from './lib/child.mjs';
import { helpIfAsked } from './lib/usage.mjs';

helpIfAsked(import.meta.url);
const { values: flags, positionals: builds } = parseArgs({
  allowPositionals: true,
  options: {
    server: { type: 'boolean', default: false },
    client: { type: 'string' },
    port: { type: 'string' },
    events: { type: 'string', default: '60000' },
    rounds: { type: 'string', default: '5' },
  },
});
const self = new URL(import.meta.url).pathname;

if (flags.server) {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.statusCode = 204;
      response.end();
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
} else if (flags.client) await runClient(flags.client, flags.port, Number(flags.events));
else await main();

async function runClient(dist, port, events) {
  const { createHttpSink } = await import(pathToFileURL(resolve(dist, 'relay/index.js')).href);
  const settings = {
    name: 'hook',
    type: 'http',
    url: `http://127.0.0.1:${port}/hook`,
    concurrency: 16,
    pipelining: 8,
    timeoutMs: 10_000,
    headers: {},
  };
  const sink = createHttpSink(settings, `whsec_${randomBytes(24).toString('base64')}`);
  const body = JSON.stringify({ text: 'y'.repeat(1_060) });
  const batch = (from) =>
    Array.from({ length: 500 }, (_, i) => {
      const seq = from + i;
      return {
        id: `app:${seq}`,
        seq,
        sdkAppId: 'app',
        body,
        event: { seq, groupId: `@TGS#${seq % 1000}`, topicId: null },
      };
    });
  const signal = new AbortController().signal;
  await sink.deliver(batch(0), signal);
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let seq = 500; seq < events + 500; seq += 500) {
    const outcomes = await sink.deliver(batch(seq), signal);
    const failed = outcomes.find((outcome) => outcome !== null);
    if (failed !== undefined) throw new Error(`not delivered: ${JSON.stringify(failed)}`);
  }
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write(
    `${((used.user + used.system) / events).toFixed(1)} ${(events / seconds).toFixed(0)}\n`,
  );
  await sink.close();
}

async function main() {
  if (builds.length === 0) throw new Error('usage: node bench/http-sink.mjs dist [other/dist ...]');
  const server = spawnNode([self, '--server'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((done) => server.stdout.once('data', (data) => done(String(data).trim())));
  const figures = new Map(builds.map((build) => [build, []]));
  try {
    for (let round = 0; round < Number(flags.rounds); round++) {
      for (const build of builds) {
        const client = spawnNode([self, '--client', build, '--port', port, '--events', flags.events], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        client.stdout.on('data', (data) => (out += data));
        const code = await new Promise((done) => client.on('exit', done));
        if (code !== 0) throw new Error(`${build}: the client exited with ${code}`);
        const [cpu, rate] = out.trim().split(' ');
        figures.get(build).push(Number(cpu));
        console.log(
          `round ${round + 1}  ${build.padEnd(40)} ${cpu.padStart(6)} µs CPU/message  ${rate.padStart(7)} messages/s`,
        );
      }
    }
  } finally {
    server.kill();
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const first = median(figures.get(builds[0]));
  console.log('\nmedians, and the ratio to the first build:');
  for (const [build, values] of figures) {
    console.log(
      `  ${build.padEnd(40)} ${median(values).toFixed(1).padStart(6)} µs  ${(median(values) / first).toFixed(2)}`,
    );
  }
}
