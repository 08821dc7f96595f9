import { describe, expect, it } from 'vitest';
import type { GroupIdPage } from '../../src/rest/index.js';
import { type FakeRequest, restClientFor, startFakeRest } from './helpers.js';

// The emulator on this branch has no get_appid_group_list yet: these tests speak to a node:http
// fake that answers the documented shape (Tencent doc 34960): `TotalCount`, `GroupIdList:
// [{GroupId}]`, `Next` (0 once the last page is out).

const LIST = 'group_open_http_svc/get_appid_group_list';

/** Pages of `groups` after the cursor (an index into `groups`), honouring Limit and GroupType. */
function pagedGroups(groups: Array<{ id: string; type: string }>, cursorOffset = 0n) {
  return (request: FakeRequest) => {
    const limit = (request.body.Limit as number | undefined) ?? 10_000;
    const type = request.body.GroupType as string | undefined;
    const matching = groups.filter((group) => type === undefined || group.type === type);
    // The cursor travels as a 64-bit number: read it from the raw body, exactly.
    const raw = /"Next":(\d+)/.exec(request.rawBody)?.[1] ?? '0';
    const after = raw === '0' ? 0 : Number(BigInt(raw) - cursorOffset);
    const page = matching.slice(after, after + limit);
    const end = after + page.length;
    const next = end < matching.length ? (cursorOffset + BigInt(end)).toString() : '0';
    const text = JSON.stringify({
      ActionStatus: 'OK',
      ErrorCode: 0,
      ErrorInfo: '',
      TotalCount: matching.length,
      GroupIdList: page.map((group) => ({ GroupId: group.id })),
      Next: 0,
    });
    // Write `Next` as a bare JSON number, however large, as the backend does.
    return { fault: 'text' as const, text: text.replace('"Next":0', `"Next":${next}`) };
  };
}

const GROUPS = Array.from({ length: 25 }, (_, i) => ({
  id: `@TGS#G${String(i).padStart(2, '0')}`,
  type: i % 5 === 0 ? 'Community' : 'Public',
}));

describe('get_appid_group_list', () => {
  it('reads one page: the ids, the total and the next cursor', async () => {
    const fake = await startFakeRest(pagedGroups(GROUPS));
    const client = restClientFor(fake.url);
    const page = await client.getAppidGroupList({ limit: 10 });
    expect(page).toEqual({ totalCount: 25, groupIds: GROUPS.slice(0, 10).map((g) => g.id), next: '10' });
    expect(fake.requests[0]!.api).toBe(LIST);
    expect(fake.requests[0]!.rawBody).toBe('{"Limit":10,"Next":0}');
  });

  it('pages until Next is 0, sending each cursor back as it came', async () => {
    const fake = await startFakeRest(pagedGroups(GROUPS));
    const client = restClientFor(fake.url, { rateLimits: { [LIST]: Infinity } });
    const pages: GroupIdPage[] = [];
    for await (const page of client.iterateGroupIds({ limit: 10 })) pages.push(page);
    expect(pages.map((page) => page.next)).toEqual(['10', '20', '0']);
    expect(pages.flatMap((page) => page.groupIds)).toEqual(GROUPS.map((g) => g.id));
    expect(fake.requests.map((request) => request.rawBody)).toEqual([
      '{"Limit":10,"Next":0}',
      '{"Limit":10,"Next":10}',
      '{"Limit":10,"Next":20}',
    ]);
  });

  it('keeps a 64-bit Next cursor exact, beyond what a JSON number holds', async () => {
    const offset = 2n ** 63n + 12_345n; // past Number.MAX_SAFE_INTEGER: JSON.parse would round it
    const fake = await startFakeRest(pagedGroups(GROUPS, offset));
    const client = restClientFor(fake.url, { rateLimits: { [LIST]: Infinity } });
    const pages: GroupIdPage[] = [];
    for await (const page of client.iterateGroupIds({ limit: 20 })) pages.push(page);
    expect(pages[0]!.next).toBe((offset + 20n).toString());
    expect(fake.requests[1]!.rawBody).toBe(`{"Limit":20,"Next":${offset + 20n}}`);
    expect(pages.flatMap((page) => page.groupIds)).toHaveLength(25);
  });

  it('resumes from a saved cursor, and filters by GroupType', async () => {
    const fake = await startFakeRest(pagedGroups(GROUPS));
    const client = restClientFor(fake.url, { rateLimits: { [LIST]: Infinity } });
    const rest: string[] = [];
    for await (const page of client.iterateGroupIds({ limit: 10, next: '20' })) rest.push(...page.groupIds);
    expect(rest).toEqual(GROUPS.slice(20).map((g) => g.id));

    const communities = await client.getAppidGroupList({ groupType: 'Community' });
    expect(communities.groupIds).toEqual(GROUPS.filter((g) => g.type === 'Community').map((g) => g.id));
    expect(communities.totalCount).toBe(5);
    expect(fake.requests.at(-1)!.rawBody).toBe('{"Limit":10000,"Next":0,"GroupType":"Community"}');
  });

  it('refuses a limit outside 1 to 10,000 and a cursor that is not an unsigned 64-bit number', () => {
    const client = restClientFor('http://127.0.0.1:9');
    expect(() => client.getAppidGroupList({ limit: 10_001 })).toThrow(/`limit` must be 1 to 10000/);
    expect(() => client.getAppidGroupList({ limit: 0 })).toThrow(/`limit`/);
    expect(() => client.getAppidGroupList({ next: '-1' })).toThrow(/`next`/);
    expect(() => client.getAppidGroupList({ next: (2n ** 64n).toString() })).toThrow(/`next`/);
  });

  it('keeps to the documented one call a second by default, and counts the waits', async () => {
    const fake = await startFakeRest(pagedGroups(GROUPS));
    const waits: number[] = [];
    const client = restClientFor(fake.url, { onRateLimitWait: (event) => waits.push(event.waitedMs) });
    const pages: GroupIdPage[] = [];
    for await (const page of client.iterateGroupIds({ limit: 10 })) pages.push(page);
    expect(pages).toHaveLength(3);
    // Three calls at one a second: the second and the third each waited for the window.
    expect(waits).toHaveLength(2);
    for (const waited of waits) expect(waited).toBeGreaterThan(900);
    expect(client.metrics().rateLimitWaits[LIST]).toEqual({ count: 2, totalMs: waits[0]! + waits[1]! });
  });
});
