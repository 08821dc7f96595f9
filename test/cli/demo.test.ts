import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { runCli, type Spawned, spawnCli, tempDir } from './support.js';

const children: Spawned[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
    await child.exited;
  }
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function demo(extra: string[]): Spawned {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const spawned = spawnCli([
    'demo',
    '--port',
    '0',
    '--emulator-port',
    '0',
    '--db',
    join(dir.path, 'demo.db'),
    ...extra,
  ]);
  children.push(spawned);
  return spawned;
}

it('demo loses callbacks, reconciles on its period, prints each pass, and stops cleanly on SIGTERM', async () => {
  const run = demo(['--reconcile-every', '2s', '--drop-callbacks', '0.5', '--rate', '20', '--quiet']);
  const [, url] = await run.waitFor(/dashboard +(http:\/\/\S+)\//);
  expect(run.stdout()).toMatch(
    /drift +the emulator loses 50% of callbacks .*; the recorder reconciles every 2s/,
  );
  // Passes come every 2 s; one of the first few finds what the lost callbacks left behind.
  const [line, drifted, fixed] = await run.waitFor(
    /reconcile pass done: .*; drifted (\d+), fixed ([1-9]\d*)/,
    20_000,
  );
  expect(Number(fixed)).toBe(Number(drifted));
  expect(line).toMatch(/scanned \d+ groups and \d+ topics in [\d.]+ s/);
  const status = (await (await fetch(`${url}/api/reconcile`)).json()) as { configured: boolean };
  expect(status.configured).toBe(true);
  const repaired = (await (await fetch(`${url}/api/events?command=timhook.Reconciled`)).json()) as {
    events: Array<{ operator: string | null; raw: { source: string } }>;
  };
  expect(repaired.events.length).toBeGreaterThan(0);
  expect(repaired.events[0]).toMatchObject({ operator: null, raw: { source: 'rest' } });

  run.child.kill('SIGTERM');
  expect(await run.exited).toBe(0);
  expect(run.stderr()).not.toMatch(/"level":"error"/);
}, 40_000);

it('demo with --drop-callbacks 0 keeps the mirror without drift', async () => {
  // No changes after the start (--rate 0): no change can race a pass, so any drift would be a loss.
  const run = demo(['--reconcile-every', '1s', '--drop-callbacks', '0', '--rate', '0', '--quiet']);
  await run.waitFor(/drift +the emulator loses no callback; the recorder reconciles every 1s/);
  await run.waitFor(/(reconcile pass .*\n[^]*){2}/, 15_000);
  const passes = run.stdout().match(/reconcile pass .*/g)!;
  for (const pass of passes) expect(pass).toMatch(/^reconcile pass done: .*; drifted 0, fixed 0$/);
  run.child.kill('SIGTERM');
  expect(await run.exited).toBe(0);
}, 30_000);

it('demo refuses a share of lost callbacks outside 0 to 1 and a bad period, and documents both', async () => {
  const share = await runCli(['demo', '--drop-callbacks', '2']);
  expect(share.code).toBe(2);
  expect(share.stderr).toMatch(/--drop-callbacks must be 0 to 1/);
  const period = await runCli(['demo', '--reconcile-every', 'often']);
  expect(period.code).toBe(2);
  expect(period.stderr).toMatch(/--reconcile-every must be a duration/);
  const help = await runCli(['demo', '--help']);
  expect(help.stdout).toMatch(/--drop-callbacks/);
  expect(help.stdout).toMatch(/--reconcile-every/);
});
