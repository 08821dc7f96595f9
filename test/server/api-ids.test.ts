import { afterEach, describe, expect, it } from 'vitest';
import type { Recorder } from '../../src/server/index.js';
import type { RecordedEvent } from '../../src/store/index.js';
import { usePostgres } from '../store/postgres-support.js';
import { createHarness, groupChange, OK, request, sendCallback, topicChange } from './support.js';

const harness = createHarness();
afterEach(() => harness.cleanup());

const enc = encodeURIComponent;
const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

/** An id of exactly 128 UTF-8 bytes: emoji with a modifier, a combining mark, CJK, and URL syntax. */
const AT_LIMIT = `@TGS#👍🏽e\u0301群组 /%?#&+${'x'.repeat(99)}`;
/** Ids that each hold something a path, a query or a normalisation could change. */
const GROUP_IDS = [
  AT_LIMIT,
  'a/b %2F?c#d&e=f+g',
  '👍🏽 team',
  '测试群组',
  // The same text composed and decomposed: two ids, never merged.
  'cafe\u0301',
  'caf\u00e9',
  // U+FFFD is a character like any other: an id may hold it.
  'g\ufffd',
];
const COMMUNITY = '@TGS#_C/1%';
const TOPIC = `${COMMUNITY}@TOPIC#_主题 #1?`;
const OPERATOR = 'ops/张三 👍🏽';
/** Custom field values are the app's own data: kept whatever they hold. */
const VALUES = { nul: 'a\u0000b', lone: 'x\ud800y', tab: 'a\tb\nc' };

/** The ids that must be refused, and why. */
const REFUSED: Array<[string, string, RegExp]> = [
  ['a NUL', 'g\u0000', /GroupId: .*control character U\+0000/],
  ['a lone high surrogate', 'g\ud800', /GroupId: .*lone surrogate U\+D800/],
  ['a lone low surrogate', 'g\udc00', /GroupId: .*lone surrogate U\+DC00/],
  ['a bell', 'g\u0007', /GroupId: .*control character U\+0007/],
  ['129 bytes', `${AT_LIMIT}x`, /GroupId: .*at most 128 UTF-8 bytes \(it has 129\)/],
  ['16 KB', `@TGS#${'x'.repeat(16 * 1024)}`, /GroupId: .*at most 128 UTF-8 bytes \(it has 16389\)/],
];

async function getJson<T>(recorder: Recorder, path: string): Promise<T> {
  const answer = await request(recorder, path);
  expect(answer.status, `GET ${path}`).toBe(200);
  return answer.json as T;
}

function describeIdsOver(name: string, db: () => string): void {
  describe(`ids over HTTP (${name})`, () => {
    it('reads every accepted group id back byte for byte through the list, its page and its history', async () => {
      expect(utf8Bytes(AT_LIMIT)).toBe(128);
      const recorder = await harness.start({ db: db() });
      for (const id of GROUP_IDS) {
        const fields = {
          Name: `name of ${id}`,
          UserDefinedDataList: Object.entries(VALUES).map(([Key, Value]) => ({ Key, Value })),
        };
        expect(await sendCallback(recorder, groupChange(id, fields, OPERATOR))).toMatchObject({ json: OK });
      }
      const list = await getJson<{ groups: Array<{ groupId: string }> }>(recorder, '/api/groups?limit=100');
      expect(list.groups.map((group) => group.groupId).sort()).toEqual([...GROUP_IDS].sort());
      for (const id of GROUP_IDS) {
        const page = await getJson<Record<string, unknown>>(recorder, `/api/groups/${enc(id)}`);
        expect(page).toMatchObject({
          groupId: id,
          lastOperator: OPERATOR,
          profile: { Name: `name of ${id}`, customFields: VALUES },
        });
        const history = await getJson<{ events: RecordedEvent[] }>(
          recorder,
          `/api/groups/${enc(id)}/history`,
        );
        expect(history.events.map((event) => [event.groupId, event.operator])).toEqual([[id, OPERATOR]]);
        expect(history.events[0]!.changes.customFields).toEqual(VALUES);
        const filtered = await getJson<{ events: RecordedEvent[] }>(
          recorder,
          `/api/events?groupId=${enc(id)}`,
        );
        expect(filtered.events.map((event) => event.groupId)).toEqual([id]);
      }
    });

    it('reads a topic id with spaces, `#`, `?`, `/` and `%` back through its page, its history and its community', async () => {
      const recorder = await harness.start({ db: db() });
      const answer = await sendCallback(recorder, topicChange(COMMUNITY, TOPIC, { Name: '主题' }, OPERATOR));
      expect(answer.json).toEqual(OK);
      const page = await getJson<Record<string, unknown>>(recorder, `/api/topics/${enc(TOPIC)}`);
      expect(page).toMatchObject({ topicId: TOPIC, groupId: COMMUNITY, profile: { Name: '主题' } });
      const history = await getJson<{ events: RecordedEvent[] }>(
        recorder,
        `/api/topics/${enc(TOPIC)}/history`,
      );
      expect(history.events.map((event) => [event.groupId, event.topicId])).toEqual([[COMMUNITY, TOPIC]]);
      const topics = await getJson<{ topics: Array<{ topicId: string }> }>(
        recorder,
        `/api/groups/${enc(COMMUNITY)}/topics`,
      );
      expect(topics.topics.map((topic) => topic.topicId)).toEqual([TOPIC]);
    });

    it.each(REFUSED)(
      'refuses a GroupId with %s at the door with 422, and stores nothing',
      async (_what, id, info) => {
        const recorder = await harness.start({ db: db() });
        const answer = await sendCallback(recorder, groupChange(id, { Name: 'x' }));
        expect(answer.status).toBe(422);
        expect(answer.json).toEqual({
          ActionStatus: 'FAIL',
          ErrorCode: 42201,
          ErrorInfo: expect.any(String),
        });
        const { ErrorInfo } = answer.json as { ErrorInfo: string };
        expect(ErrorInfo).toMatch(info);
        // The refusal names the rule, not the whole id.
        expect(ErrorInfo.length).toBeLessThan(300);
        const events = await getJson<{ events: unknown[] }>(recorder, '/api/events');
        expect(events.events).toEqual([]);
      },
    );

    it('keeps apart two group ids that a store could only hold as the same text', async () => {
      const recorder = await harness.start({ db: db() });
      const answers = [];
      for (const id of ['g\u0000', 'g\ud800', 'g\udbff', 'g\ufffd']) {
        answers.push((await sendCallback(recorder, groupChange(id, { Name: id }))).status);
      }
      expect(answers).toEqual([422, 422, 422, 200]);
      const list = await getJson<{ groups: Array<{ groupId: string; changeCount: number }> }>(
        recorder,
        '/api/groups',
      );
      expect(list.groups.map((group) => [group.groupId, group.changeCount])).toEqual([['g\ufffd', 1]]);
    });

    it('refuses an Operator_Account, a TopicId or a TopicIdList entry that breaks the id rules', async () => {
      const recorder = await harness.start({ db: db() });
      const bodies: Array<[Record<string, unknown>, RegExp]> = [
        [groupChange('@TGS#1', { Name: 'x' }, 'op\u0000'), /Operator_Account: .*control character U\+0000/],
        [topicChange(COMMUNITY, `${COMMUNITY}@TOPIC#_\ud83d`, { Name: 'x' }), /TopicId: .*lone surrogate/],
        [
          {
            CallbackCommand: 'Group.CallbackAfterTopicDestroyed',
            GroupId: COMMUNITY,
            Type: 'Community',
            TopicIdList: [TOPIC, `${COMMUNITY}@TOPIC#_${'y'.repeat(200)}`],
          },
          /TopicIdList\.1: .*at most 128 UTF-8 bytes/,
        ],
      ];
      for (const [body, info] of bodies) {
        const answer = await sendCallback(recorder, body);
        expect(answer.status).toBe(422);
        expect((answer.json as { ErrorInfo: string }).ErrorInfo).toMatch(info);
      }
      expect((await getJson<{ events: unknown[] }>(recorder, '/api/events')).events).toEqual([]);
    });
  });
}

describeIdsOver('SQLite', () => harness.dbPath);

describe('PostgreSQL', () => {
  const pg = usePostgres();
  describeIdsOver('PostgreSQL', () => `${pg.url}?schema=${pg.freshSchema()}`);
});
