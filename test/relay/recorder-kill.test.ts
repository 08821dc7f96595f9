import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterEach, expect, it, vi } from 'vitest';
import type { RecordedEvent } from '../../src/store/index.js';
import { type Spawned, sendChange, startServe, tempDir } from '../cli/support.js';
import {
  expectAllInOrder,
  newWebhookSecret,
  readLog,
  startWebhookReceiver,
  type WebhookReceiver,
} from './support.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function killOnCleanup(serve: Spawned): void {
  cleanups.push(() => {
    if (serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill('SIGKILL');
    return serve.exited;
  });
}

it(
  'goes on from the cursor after `timhook serve` is SIGKILLed while relaying: nothing is missing, re-sends carry the same id',
  {
    timeout: 60_000,
  },
  async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const secret = newWebhookSecret();
    // A slow endpoint (5 ms an answer, one at a time) keeps the relay busy when the kill comes.
    const hook: WebhookReceiver = await startWebhookReceiver(() => ({ status: 200 }), { delayMs: 5 });
    cleanups.push(() => hook.stop());
    const db = join(dir.path, 'kill.db');
    const config = join(dir.path, 'timhook.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        sinks: [
          {
            name: 'hook',
            type: 'http',
            url: hook.url,
            secretEnv: 'TIMHOOK_SINK_HOOK_SECRET',
            concurrency: 1,
            pipelining: 1,
          },
        ],
      }),
    );
    const env = { TIMHOOK_SINK_HOOK_SECRET: secret };
    const first = await startServe(db, ['--config', config], env);
    killOnCleanup(first.serve);
    expect(first.serve.stdout()).toContain('"sinks":["hook (http)"]');

    let sent = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (sent < 300) {
          const n = sent++;
          const { answer } = await sendChange(first.url, { GroupId: `@TGS#KILL${n % 5}`, Name: `kill-${n}` });
          expect(answer.ActionStatus).toBe('OK');
        }
      }),
    );
    await vi.waitFor(() => expect(hook.requests.length).toBeGreaterThanOrEqual(60), {
      timeout: 15_000,
      interval: 5,
    });
    first.serve.child.kill('SIGKILL');
    expect(await first.serve.exited).toBe('SIGKILL');
    const beforeRestart = hook.requests.length;
    expect(beforeRestart).toBeLessThan(300); // it was killed mid-way

    const second = await startServe(db, ['--config', config], env);
    killOnCleanup(second.serve);
    const logged = await readLog(second.url);
    expect(logged).toHaveLength(300);
    await vi.waitFor(
      () => expect(new Set(hook.requests.map((r) => r.headers['webhook-id'])).size).toBe(300),
      {
        timeout: 15_000,
        interval: 20,
      },
    );
    const webhook = new Webhook(secret);
    const received = hook.requests.map((request) => ({
      id: request.headers['webhook-id'] as string,
      event: webhook.verify(request.body, request.headers as Record<string, string>) as RecordedEvent,
    }));
    const duplicates = expectAllInOrder(received, logged);
    // Whatever was sent twice (between the last cursor write and the kill) went with the same id and body.
    const bodies = new Map<string, string>();
    for (const request of hook.requests) {
      const id = request.headers['webhook-id'] as string;
      const body = bodies.get(id);
      if (body === undefined) bodies.set(id, request.body);
      else expect(request.body).toBe(body);
    }
    expect(duplicates).toBe(hook.requests.length - 300);
    // The second process started from the stored cursor, not from the beginning.
    expect(hook.requests.length - beforeRestart).toBeLessThan(300);
  },
);
