import { afterEach, describe, expect, it } from 'vitest';
import { csvCell } from '../../src/server/routes/export.js';
import { openSqliteChangeLog, type RecordedEvent } from '../../src/store/index.js';
import { groupChanged } from '../store/entries.js';
import { createHarness, groupChange, OK, request, sendCallback, topicChange } from './support.js';

const harness = createHarness();
afterEach(() => harness.cleanup());

const G1 = '@TGS#2J4SZEAEL';
const G2 = '@TGS#2OTHERGRP';
const C1 = '@TGS#_@TGS#COMMUNITY1';
const T1 = `${C1}@TOPIC#_@TOPIC#TOPICONE`;
const enc = encodeURIComponent;

function seqs(body: unknown): number[] {
  return (body as { events: RecordedEvent[] }).events.map((event) => event.seq);
}

/** Sends the bodies one at a time, so their seqs are 1, 2, 3… */
async function sendAll(recorder: Parameters<typeof sendCallback>[0], bodies: Array<Record<string, unknown>>) {
  for (const body of bodies) expect((await sendCallback(recorder, body)).json).toEqual(OK);
}

/** Writes `count` changes of G1 straight into the database file, before a recorder opens it. */
async function seedLog(path: string, count: number, at = Date.now()): Promise<void> {
  const log = openSqliteChangeLog({ path });
  const entries = [];
  for (let i = 1; i <= count; i++)
    entries.push(await groupChanged(G1, { Name: `name ${i}` }, { at: at + i }));
  await log.append(entries);
  await log.close();
}

describe('search and field filters on the event API', () => {
  it('filters /api/events and a group history by field and by name search', async () => {
    const recorder = await harness.start();
    await sendAll(recorder, [
      groupChange(G1, { Name: 'Night Owls' }),
      groupChange(G2, { Notification: 'hello', UserDefinedDataList: [{ Key: 'Level', Value: '2' }] }),
      topicChange(C1, T1, { Name: 'General' }),
      groupChange(G1, { Introduction: 'about owls' }),
    ]);
    expect(seqs((await request(recorder, '/api/events?field=Name')).json)).toEqual([1, 3]);
    expect(seqs((await request(recorder, '/api/events?field=customFields.Level')).json)).toEqual([2]);
    expect(seqs((await request(recorder, '/api/events?field=customFields')).json)).toEqual([2]);
    expect(seqs((await request(recorder, '/api/events?search=night%20owls')).json)).toEqual([1, 4]);
    expect(seqs((await request(recorder, '/api/events?search=GENERAL&kind=topic')).json)).toEqual([3]);
    expect(seqs((await request(recorder, `/api/groups/${enc(G1)}/history?field=Introduction`)).json)).toEqual(
      [4],
    );
    expect(seqs((await request(recorder, '/api/events?search=%20%20')).json)).toEqual([1, 2, 3, 4]);
  });

  it('refuses a search or a field name that is too long', async () => {
    const recorder = await harness.start();
    expect((await request(recorder, `/api/events?search=${'x'.repeat(201)}`)).status).toBe(400);
    expect((await request(recorder, `/api/events?field=${'x'.repeat(101)}`)).status).toBe(400);
  });
});

describe('GET /api/export', () => {
  it('downloads the filtered history as CSV, one row per changed field, escaped and formula-safe', async () => {
    const recorder = await harness.start();
    await sendAll(recorder, [
      groupChange(G1, { Name: '=HYPERLINK("http://evil","x")' }, 'mallory'),
      groupChange(G1, { Introduction: 'line one\nline "two", three', Notification: '+1' }, '@admin'),
      groupChange(G2, { Name: 'other group' }),
      groupChange(G1, { Name: '=HYPERLINK("http://evil","x")' }, 'eve'),
    ]);
    const answer = await request(recorder, `/api/export?format=csv&groupId=${enc(G1)}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(answer.headers.get('content-disposition')).toMatch(
      /^attachment; filename="timhook-changes-\d{8}T\d{6}\.csv"$/,
    );
    expect(answer.headers.get('cache-control')).toBe('no-store');
    // A UTF-8 BOM first, so that spreadsheets read the (often Chinese) names right; text() drops it.
    const bytes = new Uint8Array(await (await fetch(`${recorder.url}/api/export?format=csv`)).arrayBuffer());
    expect([...bytes.slice(0, 4)]).toEqual([0xef, 0xbb, 0xbf, 's'.charCodeAt(0)]);
    const lines = answer.text.split('\r\n');
    expect(lines[0]).toBe(
      'seq,received_at,event_time,command,kind,group_id,topic_id,group_type,operator,opt_platform,client_ip,field,from,to,superseded',
    );
    // Group ids start with @ too: guarded like any cell (the JSON lines keep them exact).
    const rows = lines.slice(1, -1).map((line) => line.replace(/,\d{4}-\d\d-\d\dT[\d:.]+Z,/, ',<time>,'));
    expect(rows).toEqual([
      `1,<time>,,Group.CallbackAfterGroupInfoChanged,group,'${G1},,Public,mallory,RESTAPI,127.0.0.1,Name,,"'=HYPERLINK(""http://evil"",""x"")",`,
      `2,<time>,,Group.CallbackAfterGroupInfoChanged,group,'${G1},,Public,'@admin,RESTAPI,127.0.0.1,Introduction,,"line one\nline ""two"", three",`,
      `2,<time>,,Group.CallbackAfterGroupInfoChanged,group,'${G1},,Public,'@admin,RESTAPI,127.0.0.1,Notification,,'+1,`,
      `4,<time>,,Group.CallbackAfterGroupInfoChanged,group,'${G1},,Public,eve,RESTAPI,127.0.0.1,,,,`,
    ]);
    expect(lines.at(-1)).toBe('');
  });

  it('guards every cell a spreadsheet would read as a formula', () => {
    expect(['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx'].map(csvCell)).toEqual([
      "'=1+1",
      "'+1",
      "'-1",
      "'@SUM(A1)",
      "'\tx",
      `"'\rx"`,
    ]);
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(null)).toBe('');
    expect(csvCell(12)).toBe('12');
    expect(csvCell('名字')).toBe('名字');
  });

  it('downloads JSON lines holding the events exactly as the API returns them', async () => {
    const recorder = await harness.start();
    await sendAll(recorder, [groupChange(G1, { Name: 'a' }), groupChange(G2, { Name: 'b' })]);
    const answer = await request(recorder, '/api/export?format=jsonl');
    expect(answer.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(answer.headers.get('content-disposition')).toMatch(
      /filename="timhook-changes-\d{8}T\d{6}\.jsonl"$/,
    );
    const events = (await request(recorder, '/api/events')).json as { events: RecordedEvent[] };
    expect(answer.text).toBe(events.events.map((event) => `${JSON.stringify(event)}\n`).join(''));
    const newestFirst = await request(recorder, '/api/export?format=jsonl&order=desc&search=b');
    expect(
      newestFirst.text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).seq),
    ).toEqual([2]);
  });

  it('streams a history longer than one page, every event once, in order', async () => {
    await seedLog(harness.dbPath, 1234);
    const recorder = await harness.start();
    const answer = await request(recorder, '/api/export?format=jsonl');
    const exported = answer.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).seq as number);
    expect(exported).toEqual(Array.from({ length: 1234 }, (_, i) => i + 1));
    const desc = await request(recorder, '/api/export?format=csv&order=desc&before=1000');
    const rows = desc.text.split('\r\n').slice(1, -1);
    expect(rows).toHaveLength(999);
    expect(rows[0]).toMatch(/^999,/);
    expect(rows.at(-1)).toMatch(/^1,/);
  });

  it('refuses an unknown format, and asks for the API token like the rest of the API', async () => {
    const recorder = await harness.start({ apiToken: 'api-token' });
    const headers = { authorization: 'Bearer api-token' };
    const bad = await request(recorder, '/api/export?format=xlsx', { headers });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: { code: 'bad_parameter', message: 'format must be csv or jsonl' } });
    expect((await request(recorder, '/api/export?format=csv')).status).toBe(401);
    expect((await request(recorder, '/api/export?format=csv', { headers })).status).toBe(200);
  });
});

describe('GET /api/stats/rate', () => {
  it('counts recorded callbacks per minute over the last hour, every minute listed', async () => {
    const recorder = await harness.start();
    await sendAll(recorder, [groupChange(G1, { Name: 'a' }), groupChange(G1, { Name: 'b' })]);
    await sendCallback(recorder, groupChange(G1, { Name: 'refused' }), { token: 'wrong' });
    const answer = await request(recorder, '/api/stats/rate');
    expect(answer.status).toBe(200);
    const rate = answer.json as {
      since: number;
      until: number;
      bucketMs: number;
      total: number;
      refused: number;
      buckets: Array<{ start: number; count: number; refused: number }>;
    };
    expect(rate.bucketMs).toBe(60_000);
    expect(rate.buckets).toHaveLength(60);
    expect(rate.until - rate.since).toBe(3_600_000);
    expect(rate.until % 60_000).toBe(0);
    expect(rate.until).toBeGreaterThan(Date.now() - 60_000);
    expect(rate.buckets.map((b) => b.start)).toEqual(rate.buckets.map((_, i) => rate.since + i * 60_000));
    expect(rate.total).toBe(2);
    expect(rate.refused).toBe(1);
    expect(rate.buckets.reduce((sum, b) => sum + b.count, 0)).toBe(2);
  });

  it('counts from the log, so a restarted recorder still shows the last hour', async () => {
    const now = Date.now();
    await seedLog(harness.dbPath, 30, now - 10 * 60_000);
    const recorder = await harness.start();
    const rate = (await request(recorder, '/api/stats/rate')).json as {
      total: number;
      buckets: Array<{ count: number }>;
    };
    expect(rate.total).toBe(30);
    expect(rate.buckets.filter((b) => b.count > 0)).toHaveLength(1);
  });

  it('takes since, until and bucket, and refuses ranges it cannot chart', async () => {
    const at = Date.UTC(2026, 0, 1);
    await seedLog(harness.dbPath, 3, at);
    const recorder = await harness.start();
    const rate = (await request(recorder, `/api/stats/rate?since=${at}&until=${at + 10_000}&bucket=5000`))
      .json as { buckets: Array<{ start: number; count: number }> };
    expect(rate.buckets).toEqual([
      { start: at, count: 3, refused: 0 },
      { start: at + 5000, count: 0, refused: 0 },
    ]);
    for (const query of ['bucket=10', 'bucket=x', `since=${at}&until=${at}`, `since=0&until=${at}`]) {
      expect((await request(recorder, `/api/stats/rate?${query}`)).status, query).toBe(400);
    }
  });
});
