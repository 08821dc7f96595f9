import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Recorder } from '../../src/server/index.js';
import type { RecordedEvent } from '../../src/store/index.js';
import { readSeed } from '../fixtures/seeds.js';
import { createHarness, groupChange, OK, request, sendCallback, topicChange } from './support.js';

const harness = createHarness();
afterEach(() => harness.cleanup());

const G1 = '@TGS#2J4SZEAEL';
const G2 = '@TGS#2OTHERGRP';
const C1 = '@TGS#_@TGS#COMMUNITY1';
const T1 = `${C1}@TOPIC#_@TOPIC#TOPICONE`;
const CREATE_GROUP = 'Group.CallbackAfterCreateGroup';
const CREATE_TOPIC = 'Group.CallbackAfterCreateTopic';
const enc = encodeURIComponent;

let recorder: Recorder;
/** The seven events of the data set, as /api/events returns them, by seq - 1. */
let all: RecordedEvent[];

/**
 * The data set, one callback at a time so seqs are fixed: 1 CreateGroup C1, 2 seed change of G1,
 * 3 G2 from Web by bob, 4 CreateTopic T1, 5 T1 change by alice, 6 topic change naming no topic in
 * C1, 7 G1 rename by alice.
 */
beforeEach(async () => {
  recorder = await harness.start();
  const bodies: Array<[string | Record<string, unknown>, { optPlatform?: string }]> = [
    [
      {
        CallbackCommand: CREATE_GROUP,
        GroupId: C1,
        Type: 'Community',
        Owner_Account: 'owner',
        Operator_Account: 'admin',
        Name: 'Club',
        EventTime: 1_700_000_000_000,
      },
      {},
    ],
    [readSeed('group-info-changed-both'), {}],
    [groupChange(G2, { Name: 'Second' }, 'bob'), { optPlatform: 'Web' }],
    [{ CallbackCommand: CREATE_TOPIC, GroupId: C1, TopicId: T1, Type: 'Community', Name: 'General' }, {}],
    [topicChange(C1, T1, { Introduction: 'About' }, 'alice'), {}],
    [topicChange(C1, null, { Name: 'Unknown topic' }), {}],
    [groupChange(G1, { Name: 'Renamed' }, 'alice'), {}],
  ];
  for (const [body, options] of bodies) {
    expect((await sendCallback(recorder, body, options)).json).toEqual(OK);
  }
  all = ((await request(recorder, '/api/events')).json as { events: RecordedEvent[] }).events;
  expect(all.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
});

function seqs(body: unknown): number[] {
  return (body as { events: RecordedEvent[] }).events.map((event) => event.seq);
}

describe('GET /api/events', () => {
  it('lists the log oldest first as { events, next }', async () => {
    const answer = await request(recorder, '/api/events');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.json).toEqual({ events: all, next: null });
    expect(all[6]).toStrictEqual({
      seq: 7,
      receivedAt: expect.any(Number),
      eventTime: null,
      command: 'Group.CallbackAfterGroupInfoChanged',
      kind: 'group',
      sdkAppId: '1400000000',
      groupId: G1,
      topicId: null,
      groupType: 'Public',
      operator: 'alice',
      optPlatform: 'RESTAPI',
      clientIp: '127.0.0.1',
      changes: { Name: 'Renamed' },
      diff: [{ field: 'Name', from: 'NewGroupName', to: 'Renamed' }],
      raw: groupChange(G1, { Name: 'Renamed' }, 'alice'),
    });
  });

  it.each([
    ['a limit of exactly the count ends with next null', '?limit=7', [1, 2, 3, 4, 5, 6, 7], null],
    ['a limit one short gives the last seq as next', '?limit=6', [1, 2, 3, 4, 5, 6], 6],
    ['after the next cursor comes the rest', '?after=6&limit=6', [7], null],
    ['after the last seq the page is empty', '?after=7', [], null],
    ['before a cursor reads newest first', '?before=8&limit=2', [7, 6], 6],
    ['before the next cursor continues down', '?before=6&limit=2', [5, 4], 4],
    ['before down to the first event ends with next null', '?before=3&limit=2', [2, 1], null],
    ['order=desc reads newest first with no cursor', '?order=desc&limit=3', [7, 6, 5], 5],
  ])('pages: %s', async (_, query, expected, next) => {
    const answer = await request(recorder, `/api/events${query}`);
    expect(answer.status).toBe(200);
    expect(seqs(answer.json)).toEqual(expected);
    expect((answer.json as { next: number | null }).next).toBe(next);
  });

  it.each([
    ['groupId of a group', `groupId=${enc(G1)}`, [2, 7]],
    ['groupId of a community, topics included', `groupId=${enc(C1)}`, [1, 4, 5, 6]],
    ['topicId', `topicId=${enc(T1)}`, [4, 5]],
    ['command', `command=${CREATE_TOPIC}`, [4]],
    ['operator', 'operator=alice', [5, 7]],
    ['kind', 'kind=topic', [4, 5, 6]],
    ['optPlatform', 'optPlatform=Web', [3]],
    ['a filter and a cursor', `groupId=${enc(C1)}&after=4`, [5, 6]],
  ])('filters by %s', async (_, query, expected) => {
    const answer = await request(recorder, `/api/events?${query}`);
    expect(answer.status).toBe(200);
    expect(seqs(answer.json)).toEqual(expected);
  });

  it('filters by since and until, in milliseconds or ISO 8601, both inclusive', async () => {
    const from = all[2]!.receivedAt;
    const to = all[4]!.receivedAt;
    const inRange = all
      .filter((event) => event.receivedAt >= from && event.receivedAt <= to)
      .map((e) => e.seq);
    expect(inRange).toEqual(expect.arrayContaining([3, 4, 5]));
    const byMs = await request(recorder, `/api/events?since=${from}&until=${to}`);
    expect(seqs(byMs.json)).toEqual(inRange);
    const iso = (ms: number) => enc(new Date(ms).toISOString());
    const byIso = await request(recorder, `/api/events?since=${iso(from)}&until=${iso(to)}`);
    expect(seqs(byIso.json)).toEqual(inRange);
    const future = await request(recorder, `/api/events?since=${Date.now() + 60_000}`);
    expect(future.json).toEqual({ events: [], next: null });
  });
});

describe('groups and topics', () => {
  it('lists groups most recently changed first, with their current profile', async () => {
    const answer = await request(recorder, '/api/groups');
    expect(answer.status).toBe(200);
    const body = answer.json as { groups: Array<Record<string, unknown>>; next: number | null };
    expect(body.groups.map((group) => group.groupId)).toEqual([G1, G2, C1]);
    expect(body.next).toBeNull();
    expect(body.groups[1]).toStrictEqual({
      kind: 'group',
      groupId: G2,
      groupType: 'Public',
      profile: { Name: 'Second', customFields: {} },
      fields: {
        Name: { value: 'Second', eventTime: null, changedAt: all[2]!.receivedAt, operator: 'bob', seq: 3 },
      },
      createdAt: null,
      destroyedAt: null,
      firstSeq: 3,
      lastSeq: 3,
      lastChangedAt: all[2]!.receivedAt,
      lastOperator: 'bob',
      changeCount: 1,
    });
  });

  it('pages the group list with limit and the before cursor', async () => {
    const first = (await request(recorder, '/api/groups?limit=2')).json as {
      groups: Array<{ groupId: string }>;
      next: number | null;
    };
    expect(first.groups.map((group) => group.groupId)).toEqual([G1, G2]);
    expect(first.next).toBe(3);
    const rest = (await request(recorder, `/api/groups?limit=2&before=${first.next}`)).json;
    expect(rest).toEqual({ groups: [expect.objectContaining({ groupId: C1 })], next: null });
  });

  it('shows one group by its URL-encoded id, with plain values and custom fields', async () => {
    const answer = await request(recorder, `/api/groups/${enc(G1)}`);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      kind: 'group',
      groupId: G1,
      profile: {
        Name: 'Renamed',
        Introduction: 'NewIntroduction',
        Notification: 'NewNotification',
        FaceUrl: 'NewFaceUrl',
        customFields: {
          UserDefinedKey1: 'UserDefinedValue1',
          UserDefinedKey2: 'UserDefinedValue2',
          UserDefinedKey3: 'UserDefinedValue3',
        },
      },
      firstSeq: 2,
      lastSeq: 7,
      lastOperator: 'alice',
      changeCount: 2,
      topics: [],
    });
  });

  it('shows a community with its topics', async () => {
    const answer = await request(recorder, `/api/groups/${enc(C1)}`);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      kind: 'group',
      groupId: C1,
      groupType: 'Community',
      createdAt: 1_700_000_000_000,
      profile: { Name: 'Club', customFields: {} },
      topics: [
        { kind: 'topic', topicId: T1, groupId: C1, profile: { Name: 'General', Introduction: 'About' } },
      ],
    });
  });

  it("lists a community's topics at /api/groups/{id}/topics", async () => {
    const answer = await request(recorder, `/api/groups/${enc(C1)}/topics`);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      topics: [expect.objectContaining({ topicId: T1, groupId: C1, lastSeq: 5 })],
      next: null,
    });
    expect((await request(recorder, `/api/groups/${enc(G1)}/topics`)).json).toEqual({
      topics: [],
      next: null,
    });
  });

  it('gives the history of a group newest first, paged by the before cursor', async () => {
    const full = await request(recorder, `/api/groups/${enc(G1)}/history`);
    expect(full.status).toBe(200);
    expect(full.json).toEqual({ events: [all[6], all[1]], next: null });
    const first = await request(recorder, `/api/groups/${enc(G1)}/history?limit=1`);
    expect(first.json).toEqual({ events: [all[6]], next: 7 });
    const rest = await request(recorder, `/api/groups/${enc(G1)}/history?limit=1&before=7`);
    expect(rest.json).toEqual({ events: [all[1]], next: null });
  });

  it("includes its topics' changes in a community's history, and filters them by kind", async () => {
    expect(seqs((await request(recorder, `/api/groups/${enc(C1)}/history`)).json)).toEqual([6, 5, 4, 1]);
    expect(seqs((await request(recorder, `/api/groups/${enc(C1)}/history?kind=group`)).json)).toEqual([1]);
  });

  it('shows a topic and its history', async () => {
    const topic = await request(recorder, `/api/topics/${enc(T1)}`);
    expect(topic.status).toBe(200);
    expect(topic.json).toMatchObject({
      kind: 'topic',
      topicId: T1,
      groupId: C1,
      groupType: 'Community',
      profile: { Name: 'General', Introduction: 'About', customFields: {} },
      firstSeq: 4,
      lastSeq: 5,
      changeCount: 2,
    });
    expect(topic.json).not.toHaveProperty('topics');
    const history = await request(recorder, `/api/topics/${enc(T1)}/history`);
    expect(history.json).toEqual({ events: [all[4], all[3]], next: null });
  });

  it('decodes an id holding a slash, @ and #', async () => {
    const id = 'team/ops#1@x';
    expect((await sendCallback(recorder, groupChange(id, { Name: 'Slashed' }))).json).toEqual(OK);
    const answer = await request(recorder, `/api/groups/${enc(id)}`);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ groupId: id, profile: { Name: 'Slashed' } });
    expect(seqs((await request(recorder, `/api/groups/${enc(id)}/history`)).json)).toEqual([8]);
  });

  it.each([
    ['group', `/api/groups/${enc('@TGS#NOSUCH')}`, 'no group "@TGS#NOSUCH" has been recorded'],
    ['topic', `/api/topics/${enc(`${C1}@TOPIC#_none`)}`, `no topic "${C1}@TOPIC#_none" has been recorded`],
    [
      'group never seen as a group (only its topics)',
      `/api/groups/${enc(T1)}`,
      `no group "${T1}" has been recorded`,
    ],
  ])('answers 404 for an unknown %s', async (_, path, message) => {
    const answer = await request(recorder, path);
    expect(answer.status).toBe(404);
    expect(answer.json).toEqual({ error: { code: 'not_found', message } });
  });

  it('gives an empty history, not a 404, for an id with no events', async () => {
    const answer = await request(recorder, `/api/groups/${enc('@TGS#NOSUCH')}/history`);
    expect(answer.json).toEqual({ events: [], next: null });
  });
});

describe('refusals of the API', () => {
  const bad = (message: string) => ({ error: { code: 'bad_parameter', message } });

  it.each([
    ['/api/events?limit=0', bad('limit must be 1 to 1000')],
    ['/api/events?limit=1001', bad('limit must be 1 to 1000')],
    ['/api/events?limit=ten', bad('limit must be a whole number ≥ 0')],
    ['/api/events?after=-1', bad('after must be a whole number ≥ 0')],
    ['/api/events?before=1.5', bad('before must be a whole number ≥ 0')],
    ['/api/events?after=1&before=5', bad('give after (oldest first) or before (newest first), not both')],
    ['/api/events?kind=channel', bad('kind must be group or topic')],
    ['/api/events?order=sideways', bad('order must be asc or desc')],
    ['/api/events?since=yesterday', bad('since must be milliseconds since the epoch or an ISO 8601 date')],
    ['/api/events?until=2024-13-45', bad('until must be milliseconds since the epoch or an ISO 8601 date')],
    ['/api/groups?limit=0', bad('limit must be 1 to 1000')],
    ['/api/groups?before=x', bad('before must be a whole number ≥ 0')],
    [`/api/groups/${enc(G1)}/history?limit=1001`, bad('limit must be 1 to 1000')],
    [
      '/api/groups/%E0%A4%A',
      { error: { code: 'bad_id', message: 'the id in the path is not valid URL encoding' } },
    ],
    [
      '/api/topics/%ZZ/history',
      { error: { code: 'bad_id', message: 'the id in the path is not valid URL encoding' } },
    ],
  ])('answers 400 to %s', async (path, body) => {
    const answer = await request(recorder, path);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.json).toEqual(body);
  });

  it.each([
    '/api/nope',
    '/nope',
    '/api/groups/',
    `/api/topics/${enc(T1)}/topics`,
    `/api/groups/${enc(G1)}/members`,
  ])('answers 404 to the unknown route %s', async (path) => {
    const answer = await request(recorder, path);
    expect(answer.status).toBe(404);
    expect(answer.json).toEqual({ error: { code: 'not_found', message: `no route ${path}` } });
  });

  it.each([
    ['POST', '/api/events'],
    ['PUT', `/api/groups/${enc(G1)}`],
    ['DELETE', `/api/groups/${enc(G1)}`],
    ['POST', '/api/stream'],
    ['PATCH', `/api/topics/${enc(T1)}/history`],
    ['POST', '/metrics'],
    ['POST', '/'],
  ])('answers %s %s with 405: the API is read-only', async (method, path) => {
    const answer = await request(recorder, path, { method, body: method === 'DELETE' ? null : '{}' });
    expect(answer.status).toBe(405);
    expect(answer.json).toEqual({
      error: { code: 'method_not_allowed', message: 'the API is read-only: use GET' },
    });
    expect(seqs((await request(recorder, '/api/events')).json)).toHaveLength(7);
  });

  it.each([
    ['POST', '/api/event'],
    ['POST', '/callbacks'],
    ['PUT', '/api/nope'],
    ['DELETE', `/api/groups/${enc(G1)}/members`],
    ['POST', '/api/relay/x/y/z'],
  ])('answers %s %s with 404: a write to a path that is no route is not a 405', async (method, path) => {
    const answer = await request(recorder, path, { method, body: method === 'DELETE' ? null : '{}' });
    expect(answer.status).toBe(404);
    expect(answer.json).toEqual({ error: { code: 'not_found', message: `no route ${path}` } });
  });
});

describe('service routes', () => {
  it('describes the API in OpenAPI 3.1 at /api/openapi.json', async () => {
    const answer = await request(recorder, '/api/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const spec = JSON.parse(answer.text) as {
      openapi: string;
      paths: Record<string, { get?: unknown; post?: unknown }>;
    };
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths).sort()).toEqual(
      [
        '/callback',
        '/api/openapi.json',
        '/api/events',
        '/api/groups',
        '/api/groups/{groupId}',
        '/api/groups/{groupId}/history',
        '/api/groups/{groupId}/topics',
        '/api/topics/{topicId}',
        '/api/topics/{topicId}/history',
        '/api/stream',
        '/api/refusals',
        '/api/export',
        '/api/stats/rate',
        '/api/reconcile',
        '/api/relay',
        '/api/relay/{sink}',
        '/api/relay/{sink}/dead-letters',
        '/api/relay/{sink}/enable',
        '/api/relay/{sink}/redrive',
        '/api/relay/{sink}/replay',
        '/healthz',
        '/readyz',
        '/metrics',
      ].sort(),
    );
    for (const path of Object.values(spec.paths)) expect(path.get ?? path.post).toBeDefined();
  });

  it('answers /healthz and /readyz with the last seq', async () => {
    const health = await request(recorder, '/healthz');
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: 'ok' });
    const ready = await request(recorder, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ status: 'ready', lastSeq: 7 });
  });

  it('serves Prometheus text at /metrics', async () => {
    const answer = await request(recorder, '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(answer.text).toContain('# TYPE timhook_callbacks_accepted_total counter');
    expect(answer.text).toContain('\ntimhook_log_events 7\n');
    expect(answer.text).toContain('\ntimhook_commit_queue_depth 0\n');
    expect(answer.text).toContain('\ntimhook_sse_clients 0\n');
    expect(answer.text).toMatch(/\ntimhook_log_bytes [1-9]\d*\n/);
  });

  it('answers / with the dashboard', async () => {
    const answer = await request(recorder, '/');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(answer.text).toContain('<script type="module" src="/ui/js/main.js"></script>');
  });
});
