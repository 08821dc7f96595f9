import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { sendChange, startServe, tempDir } from './support.js';

const cleanups: Array<() => void | Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('keeps every callback that was answered OK, exactly once, after the recorder is SIGKILLed mid-stream', async () => {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const db = join(dir.path, 'kill.db');
  const { serve, url } = await startServe(db);
  cleanups.push(() => {
    if (serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill('SIGKILL');
  });

  const acknowledged = new Set<string>();
  let sent = 0;
  let killed = false;
  // 20 concurrent senders keep sending distinct changes until the process dies under them.
  const sender = async (lane: number) => {
    for (;;) {
      const name = `lane${lane}-n${sent++}`;
      try {
        const { answer } = await sendChange(url, {
          GroupId: `@TGS#lane${lane}`,
          Name: name,
          EventTime: Date.now(),
        });
        if (answer.ActionStatus === 'OK') acknowledged.add(name);
      } catch {
        return; // connection refused or reset: the recorder is gone
      }
      if (!killed && acknowledged.size >= 300) {
        killed = true;
        serve.child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: 20 }, (_, lane) => sender(lane)));
  expect(await serve.exited).toBe('SIGKILL');
  expect(acknowledged.size).toBeGreaterThanOrEqual(300);

  const again = await startServe(db);
  cleanups.push(() => {
    again.serve.child.kill('SIGKILL');
  });
  const names: string[] = [];
  let after = 0;
  for (;;) {
    const page = (await (await fetch(`${again.url}/api/events?after=${after}&limit=1000`)).json()) as {
      events: Array<{ seq: number; changes: { Name: string } }>;
      next: number | null;
    };
    names.push(...page.events.map((e) => e.changes.Name));
    if (page.next === null) break;
    after = page.next;
  }
  const logged = new Set(names);
  expect(names.length).toBe(logged.size); // nothing twice
  const missing = [...acknowledged].filter((name) => !logged.has(name));
  expect(missing).toEqual([]);
});
