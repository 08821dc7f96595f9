import { afterEach, describe, expect, it } from 'vitest';
import type { Recorder } from '../../src/server/index.js';
import type { RecordedEvent } from '../../src/store/index.js';
import { createHarness, groupChange, OK, request, sendCallback } from './support.js';

const harness = createHarness();
afterEach(() => harness.cleanup());

const MiB = 1024 * 1024;
/** The page's own JSON around its events: `{"events":[` … `],"next":…}`. */
const ENVELOPE = 64;
const G1 = '@TGS#2BIGPAGES';
const G2 = '@TGS#2SMALLONE';

interface Page {
  events: RecordedEvent[];
  next: number | null;
}

let sent = 0;

/** Records `count` changes of `group`, each with a distinct Notification of `bytes` bytes, 20 at a time. */
async function record(recorder: Recorder, group: string, count: number, bytes: number): Promise<void> {
  for (let start = 0; start < count; start += 20) {
    const batch = Array.from({ length: Math.min(20, count - start) }, () =>
      sendCallback(recorder, groupChange(group, { Notification: `${sent++}:`.padEnd(bytes, 'x') })),
    );
    for (const answer of await Promise.all(batch)) expect(answer.json).toEqual(OK);
  }
}

/** Reads every page of `path` (which ends in `?…`), following `next` with `cursor`; checks each page's size. */
async function readAll(recorder: Recorder, path: string, cursor: 'after' | 'before') {
  const pages: Page[] = [];
  let next: number | null = null;
  do {
    const answer = await request(recorder, next === null ? path : `${path}&${cursor}=${next}`);
    expect(answer.status).toBe(200);
    expect(Buffer.byteLength(answer.text)).toBeLessThanOrEqual(MiB + ENVELOPE);
    const page = answer.json as Page;
    expect(page.events.length).toBeGreaterThan(0);
    pages.push(page);
    next = page.next;
  } while (next !== null);
  return pages;
}

describe('a page of events is capped at 1 MiB as well as at its limit', () => {
  it('answers /api/events?limit=1000 over 20 KB events in pages under 1 MiB that together hold every event once', async () => {
    const recorder = await harness.start();
    await record(recorder, G1, 120, 20_000);
    const first = await request(recorder, '/api/events?limit=1000');
    const page = first.json as Page;
    expect(Buffer.byteLength(first.text)).toBeLessThanOrEqual(MiB + ENVELOPE);
    expect(Buffer.byteLength(first.text)).toBeGreaterThan(MiB - 40_000);
    expect(page.next).toBe(page.events[page.events.length - 1]!.seq);

    const pages = await readAll(recorder, '/api/events?limit=1000', 'after');
    expect(pages.length).toBeGreaterThan(1);
    const seqs = pages.flatMap((p) => p.events.map((e) => e.seq));
    expect(seqs).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  });

  it('caps a group history (newest first) the same way, filters kept', async () => {
    const recorder = await harness.start();
    await record(recorder, G1, 70, 20_000);
    await record(recorder, G2, 3, 100);
    await record(recorder, G1, 70, 20_000);
    const pages = await readAll(
      recorder,
      `/api/groups/${encodeURIComponent(G1)}/history?limit=1000`,
      'before',
    );
    const seqs = pages.flatMap((p) => p.events.map((e) => e.seq));
    const expected = [
      ...Array.from({ length: 70 }, (_, i) => 143 - i),
      ...Array.from({ length: 70 }, (_, i) => 70 - i),
    ];
    expect(seqs).toEqual(expected);
    expect(pages.flatMap((p) => p.events).every((e) => e.groupId === G1)).toBe(true);
  });

  it('keeps to the row limit when the rows are small', async () => {
    const recorder = await harness.start();
    await record(recorder, G2, 60, 100);
    const page = (await request(recorder, '/api/events?limit=45')).json as Page;
    expect(page.events.map((e) => e.seq)).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
    expect(page.next).toBe(45);
    const rest = (await request(recorder, '/api/events?limit=1000&after=45')).json as Page;
    expect(rest.events.map((e) => e.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 46));
    expect(rest.next).toBeNull();
  });

  it('answers one event larger than the cap on a page of its own', async () => {
    const recorder = await harness.start({ maxBodyBytes: 3 * MiB });
    await record(recorder, G2, 1, 100);
    await record(recorder, G1, 1, 1.5 * MiB);
    await record(recorder, G2, 1, 100);
    const first = (await request(recorder, '/api/events?limit=1000')).json as Page;
    expect(first.events.map((e) => e.seq)).toEqual([1]);
    expect(first.next).toBe(1);
    const big = await request(recorder, '/api/events?limit=1000&after=1');
    expect((big.json as Page).events.map((e) => e.seq)).toEqual([2]);
    expect((big.json as Page).next).toBe(2);
    expect(Buffer.byteLength(big.text)).toBeGreaterThan(1.5 * MiB);
    const last = (await request(recorder, '/api/events?limit=1000&after=2')).json as Page;
    expect(last).toMatchObject({ events: [{ seq: 3 }], next: null });
  });
});
