import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { computeSign } from '../../src/protocol/index.js';
import { readSeed } from '../fixtures/seeds.js';
import { runCli, type Spawned, spawnCli, startServe, tempDir } from './support.js';

const cleanups: Array<() => void | Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function killLater(spawned: Spawned): void {
  cleanups.push(async () => {
    if (spawned.child.exitCode === null && spawned.child.signalCode === null) {
      spawned.child.kill('SIGKILL');
      await spawned.exited;
    }
  });
}

/** A plain receiver that records what arrives and answers OK: `send` must work against any receiver. */
async function recordingServer(): Promise<{ url: string; requests: Array<{ url: string; body: string }> }> {
  const requests: Array<{ url: string; body: string }> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      requests.push({ url: req.url ?? '', body });
      res.end('{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/im`, requests };
}

describe('timhook send', () => {
  it('signs the URL exactly as the Chat backend does and posts the fields as a group change', async () => {
    const receiver = await recordingServer();
    const before = Math.floor(Date.now() / 1000);
    const { code, stdout } = await runCli([
      'send',
      '--url',
      receiver.url,
      '--sdk-appid',
      '1400000001',
      '--token',
      'tok',
      '--group',
      '@TGS#2J4SZEAEL',
      '--name',
      'New',
      '--custom',
      'Level=3',
      '--platform',
      'iOS',
      '--event-time',
      '1700000000000',
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^HTTP 200 in [\d.]+ ms\n\{"ActionStatus":"OK"/);
    const [request] = receiver.requests;
    const query = new URL(request!.url, 'http://x').searchParams;
    expect(query.get('SdkAppid')).toBe('1400000001');
    expect(query.get('CallbackCommand')).toBe('Group.CallbackAfterGroupInfoChanged');
    expect(query.get('contenttype')).toBe('json');
    expect(query.get('OptPlatform')).toBe('iOS');
    const time = Number(query.get('RequestTime'));
    expect(time).toBeGreaterThanOrEqual(before);
    expect(query.get('Sign')).toBe(computeSign('tok', time));
    expect(JSON.parse(request!.body)).toEqual({
      CallbackCommand: 'Group.CallbackAfterGroupInfoChanged',
      GroupId: '@TGS#2J4SZEAEL',
      Type: 'Public',
      Operator_Account: 'admin',
      Name: 'New',
      UserDefinedDataList: [{ Key: 'Level', Value: '3' }],
      EventTime: 1700000000000,
    });
  });

  it('sends a file byte for byte, taking its CallbackCommand', async () => {
    const receiver = await recordingServer();
    const dir = tempDir();
    cleanups.push(dir.remove);
    const file = join(dir.path, 'body.json');
    writeFileSync(file, readSeed('topic-info-changed'));
    const { code } = await runCli([
      'send',
      '--url',
      receiver.url,
      '--sdk-appid',
      '1',
      '--token',
      't',
      '--file',
      file,
    ]);
    expect(code).toBe(0);
    expect(receiver.requests[0]!.body).toBe(readSeed('topic-info-changed'));
    expect(receiver.requests[0]!.url).toContain('CallbackCommand=Group.CallbackAfterTopicInfoChanged');
  });

  it('exits 1 on a FAIL answer or an unreachable URL, and 2 on a usage mistake', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const { serve, url } = await startServe(join(dir.path, 's.db'));
    killLater(serve);
    const wrong = await runCli([
      'send',
      '--url',
      `${url}/callback`,
      '--sdk-appid',
      '1400000001',
      '--token',
      'nope',
      '--group',
      'g',
      '--name',
      'x',
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('"ErrorCode":40102');
    const unreachable = await runCli([
      'send',
      '--url',
      'http://127.0.0.1:9/x',
      '--sdk-appid',
      '1',
      '--token',
      't',
      '--group',
      'g',
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('could not reach');
    const usage = await runCli(['send', '--url', 'http://127.0.0.1:9/x', '--sdk-appid', '1', '--group', 'g']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--token is required');
  });
});

describe('timhook tail', () => {
  it('prints one readable line per change with its diff, and resumes across a recorder restart without repeats', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const db = join(dir.path, 't.db');
    const first = await startServe(db, ['--port', '0']);
    killLater(first.serve);
    const send = (base: string, name: string) =>
      runCli([
        'send',
        '--url',
        `${base}/callback`,
        '--sdk-appid',
        '1400000001',
        '--token',
        'tok',
        '--group',
        '@TGS#tail',
        '--name',
        name,
        '--operator',
        'alice',
        '--platform',
        'Android',
      ]);
    expect((await send(first.url, 'Old')).code).toBe(0);
    const tail = spawnCli(['tail', '--url', first.url, '--after', '0']);
    killLater(tail);
    await tail.waitFor(/#1 .* group @TGS#tail by alice \(Android\): Name: \(unknown\) → "Old"/);
    expect((await send(first.url, 'New')).code).toBe(0);
    await tail.waitFor(/#2 .*Name: "Old" → "New"/);

    // Restart the recorder on the same port and file; the tail reconnects from #2.
    const port = new URL(first.url).port;
    first.serve.child.kill('SIGTERM');
    await first.serve.exited;
    const second = await startServe(db, ['--port', port]);
    killLater(second.serve);
    expect((await send(second.url, 'Newer')).code).toBe(0);
    await tail.waitFor(/#3 .*Name: "New" → "Newer"/);
    const lines = tail.stdout().trim().split('\n');
    expect(lines.map((line) => line.split(' ')[0])).toEqual(['#1', '#2', '#3']);
  });
});
