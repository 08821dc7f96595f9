import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Commands, type ProfileChange } from '../../src/protocol/index.js';
import type { AppendResult, ChangeLog, LogEntry, RecordedEvent } from '../../src/store/index.js';
import { readSeedJson } from '../fixtures/seeds.js';
import {
  APP_ID,
  C1,
  C2,
  G1,
  G2,
  groupChanged,
  groupCreated,
  groupDestroyed,
  seedEntry,
  T0,
  T1,
  T2,
  T3,
  topicChanged,
  topicCreated,
  topicsDestroyed,
} from './entries.js';

/** The seq of a result that must have been logged. */
function logged(result: AppendResult | undefined): RecordedEvent {
  if (!result || result.duplicate) throw new Error(`expected a logged entry, got ${JSON.stringify(result)}`);
  return result.event;
}

function seqs(events: readonly RecordedEvent[]): number[] {
  return events.map((event) => event.seq);
}

/**
 * The contract every {@link ChangeLog} keeps, whatever database is behind it. `open` must give a
 * new, empty log on each call; the suite closes it after each test. Run it once per implementation:
 *
 * @example describeChangeLogContract('SQLite', async () => openSqliteChangeLog({ path }));
 */
export function describeChangeLogContract(name: string, open: () => Promise<ChangeLog>): void {
  describe(`the ChangeLog contract (${name})`, () => {
    let log: ChangeLog;

    beforeEach(async () => {
      log = await open();
    });

    afterEach(async () => {
      await log.close();
    });

    describe('append', () => {
      it('assigns increasing sequence numbers, across batches, in the order given', async () => {
        const first = await log.append([
          await groupChanged(G1, { Name: 'a' }),
          await groupChanged(G1, { Name: 'b' }),
        ]);
        const second = await log.append([await groupChanged(G2, { Name: 'c' })]);
        const all = [...first, ...second].map((result) => logged(result).seq);
        expect(all[0]).toBeGreaterThanOrEqual(1);
        expect(all).toEqual([...all].sort((x, y) => x - y));
        expect(new Set(all).size).toBe(3);
        const page = await log.listEvents({ limit: 10 });
        expect(seqs(page.events)).toEqual(all);
        expect(page.events.map((event) => event.changes.Name)).toEqual(['a', 'b', 'c']);
      });

      it('returns each logged event exactly as listEvents later reads it back', async () => {
        const results = await log.append([
          await seedEntry('group-info-changed-both'),
          await topicChanged(C1, T1, { Name: 'topic' }, { eventTime: T0 - 5 }),
        ]);
        const page = await log.listEvents({ limit: 10 });
        expect(page.events).toStrictEqual(results.map(logged));
      });

      it('records a seed body with every field of the API shape', async () => {
        const [result] = await log.append([await seedEntry('group-info-changed-both', { at: T0 + 7 })]);
        const event = logged(result);
        expect(event).toStrictEqual({
          seq: event.seq,
          receivedAt: T0 + 7,
          eventTime: null,
          command: Commands.GroupInfoChanged,
          kind: 'group',
          sdkAppId: APP_ID,
          groupId: G1,
          topicId: null,
          groupType: 'Public',
          operator: 'leckie',
          optPlatform: 'RESTAPI',
          clientIp: '203.0.113.7',
          changes: {
            Name: 'NewGroupName',
            Introduction: 'NewIntroduction',
            Notification: 'NewNotification',
            FaceUrl: 'NewFaceUrl',
            customFields: {
              UserDefinedKey1: 'UserDefinedValue1',
              UserDefinedKey2: 'UserDefinedValue2',
              UserDefinedKey3: 'UserDefinedValue3',
            },
          },
          diff: [
            { field: 'Name', from: null, to: 'NewGroupName' },
            { field: 'Introduction', from: null, to: 'NewIntroduction' },
            { field: 'Notification', from: null, to: 'NewNotification' },
            { field: 'FaceUrl', from: null, to: 'NewFaceUrl' },
            { field: 'customFields.UserDefinedKey1', from: null, to: 'UserDefinedValue1' },
            { field: 'customFields.UserDefinedKey2', from: null, to: 'UserDefinedValue2' },
            { field: 'customFields.UserDefinedKey3', from: null, to: 'UserDefinedValue3' },
          ],
          raw: readSeedJson('group-info-changed-both'),
        });
      });

      it('appends an empty batch as a no-op', async () => {
        expect(await log.append([])).toEqual([]);
        expect((await log.stats()).events).toBe(0);
      });
    });

    describe('a batch is one transaction', () => {
      // Two honest ways for one entry to break a batch late, after the entries before it have
      // been written: a row the database refuses (a required column missing), and a projection
      // that throws (changes that are not an object).
      const breakers: Array<[string, (entry: LogEntry) => LogEntry]> = [
        ['the database refuses its row', (entry) => ({ ...entry, command: null as unknown as string })],
        ['its projection throws', (entry) => ({ ...entry, changes: null as unknown as ProfileChange })],
      ];

      it.each(breakers)(
        'logs nothing of a batch in which one entry fails because %s',
        async (_, breakEntry) => {
          const [before] = await log.append([await groupChanged(G1, { Name: 'kept' })]);
          const good1 = await groupChanged(G1, { Name: 'lost' });
          const good2 = await topicCreated(C1, T1, { Name: 'lost topic' });
          const bad = breakEntry(await groupChanged(G2, { Name: 'bad' }));

          await expect(log.append([good1, good2, bad])).rejects.toThrow();

          const page = await log.listEvents({ limit: 10 });
          expect(seqs(page.events)).toEqual([logged(before).seq]);
          expect((await log.getProfile('group', G1))?.fields.Name?.value).toBe('kept');
          expect(await log.getProfile('topic', T1)).toBeNull();
          expect(await log.getProfile('group', G2)).toBeNull();
          expect(await log.stats()).toMatchObject({ events: 1, lastSeq: logged(before).seq });
          // The dedupe keys of the rolled-back entries were not kept either.
          const [again] = await log.append([good1]);
          expect(again?.duplicate).toBe(false);
          expect(logged(again).seq).toBeGreaterThan(logged(before).seq);
          expect(logged(again).diff).toEqual([{ field: 'Name', from: 'kept', to: 'lost' }]);
        },
      );
    });

    describe('dedupe', () => {
      it('logs a re-delivery within one batch once and answers it with the first seq', async () => {
        const entry = await seedEntry('group-info-changed-basic');
        const retry = await seedEntry('group-info-changed-basic', { at: T0 + 2000 });
        const results = await log.append([entry, retry]);
        const first = logged(results[0]);
        expect(results[1]).toStrictEqual({ seq: first.seq, duplicate: true });
        expect(seqs((await log.listEvents({ limit: 10 })).events)).toEqual([first.seq]);
        expect((await log.getProfile('group', G1))?.changeCount).toBe(1);
      });

      it('logs a re-delivery in a later batch once and answers it with the first seq', async () => {
        const [first] = await log.append([await seedEntry('group-info-changed-basic')]);
        await log.append([await groupChanged(G2, { Name: 'between' })]);
        const [retry] = await log.append([await seedEntry('group-info-changed-basic', { at: T0 + 2000 })]);
        expect(retry).toStrictEqual({ seq: logged(first).seq, duplicate: true });
        const page = await log.listEvents({ limit: 10, groupId: G1 });
        expect(seqs(page.events)).toEqual([logged(first).seq]);
        expect(await log.stats()).toMatchObject({ events: 2 });
      });

      it('logs two callbacks whose bodies differ in one byte as two events', async () => {
        const results = await log.append([
          await groupChanged(G1, { Name: 'same' }, { eventTime: T0 }),
          await groupChanged(G1, { Name: 'same' }, { eventTime: T0 + 1 }),
        ]);
        expect(results.map((result) => result.duplicate)).toEqual([false, false]);
      });
    });

    describe('projection and diff', () => {
      it('diffs the first change of a field from null and keeps its provenance', async () => {
        const [result] = await log.append([
          await groupChanged(G1, { Name: 'First' }, { at: T0 + 1, eventTime: T0 - 100, operator: 'alice' }),
        ]);
        const event = logged(result);
        expect(event.diff).toEqual([{ field: 'Name', from: null, to: 'First' }]);
        expect(await log.getProfile('group', G1)).toStrictEqual({
          kind: 'group',
          id: G1,
          groupId: G1,
          groupType: 'Public',
          fields: {
            Name: {
              value: 'First',
              eventTime: T0 - 100,
              changedAt: T0 + 1,
              operator: 'alice',
              seq: event.seq,
            },
          },
          createdAt: null,
          destroyedAt: null,
          firstSeq: event.seq,
          lastSeq: event.seq,
          lastChangedAt: T0 + 1,
          lastOperator: 'alice',
          changeCount: 1,
        });
      });

      it('diffs a later change from the old value', async () => {
        await log.append([await groupChanged(G1, { Name: 'Old', Introduction: 'Intro' })]);
        const [result] = await log.append([
          await groupChanged(G1, { Name: 'New' }, { at: T0 + 10, operator: 'bob' }),
        ]);
        expect(logged(result).diff).toEqual([{ field: 'Name', from: 'Old', to: 'New' }]);
        const profile = await log.getProfile('group', G1);
        expect(profile?.fields.Name).toMatchObject({ value: 'New', operator: 'bob', changedAt: T0 + 10 });
        expect(profile?.fields.Introduction?.value).toBe('Intro');
        expect(profile).toMatchObject({ changeCount: 2, lastOperator: 'bob', lastChangedAt: T0 + 10 });
      });

      it('keys custom fields as customFields.<Key> and diffs only the key that changed', async () => {
        await log.append([await seedEntry('group-info-changed-both')]);
        const [result] = await log.append([
          await groupChanged(G1, { custom: { UserDefinedKey2: 'Changed' } }, { at: T0 + 1 }),
        ]);
        expect(logged(result).diff).toEqual([
          { field: 'customFields.UserDefinedKey2', from: 'UserDefinedValue2', to: 'Changed' },
        ]);
        const fields = (await log.getProfile('group', G1))?.fields ?? {};
        expect(Object.keys(fields).sort()).toEqual([
          'FaceUrl',
          'Introduction',
          'Name',
          'Notification',
          'customFields.UserDefinedKey1',
          'customFields.UserDefinedKey2',
          'customFields.UserDefinedKey3',
        ]);
        expect(fields['customFields.UserDefinedKey2']?.value).toBe('Changed');
        expect(fields['customFields.UserDefinedKey3']?.value).toBe('UserDefinedValue3');
      });

      it('leaves a field set to the value it already has out of the diff', async () => {
        await log.append([await seedEntry('group-info-changed-both')]);
        const [basic] = await log.append([await seedEntry('group-info-changed-basic', { at: T0 + 1 })]);
        expect(logged(basic).diff).toEqual([]);
        const [custom] = await log.append([await seedEntry('group-info-changed-custom', { at: T0 + 2 })]);
        expect(logged(custom).diff).toEqual([]);
        expect((await log.listEvents({ limit: 10 })).events).toHaveLength(3);
      });
    });

    describe('out-of-order arrival', () => {
      it.each([
        ['in separate batches', false],
        ['in one batch', true],
      ])('keeps the newer EventTime when an older change arrives later, %s', async (_, oneBatch) => {
        const newer = await groupChanged(G1, { Name: 'Newer' }, { at: T0 + 10, eventTime: T0 - 1000 });
        // EventTime as a numeric string, as some public pages send it (docs/protocol.md §2).
        const older = await groupChanged(
          G1,
          { Name: 'Older', Introduction: 'Intro' },
          { at: T0 + 20, eventTime: String(T0 - 2000) },
        );
        const results = oneBatch
          ? await log.append([newer, older])
          : [...(await log.append([newer])), ...(await log.append([older]))];
        const [first, late] = results.map(logged);

        expect(late?.diff).toEqual([{ field: 'Introduction', from: null, to: 'Intro' }]);
        expect(late?.superseded).toEqual(['Name']);
        expect(first).not.toHaveProperty('superseded');
        const profile = await log.getProfile('group', G1);
        expect(profile?.fields.Name).toEqual({
          value: 'Newer',
          eventTime: T0 - 1000,
          changedAt: T0 + 10,
          operator: 'leckie',
          seq: first?.seq,
        });
        expect(profile?.fields.Introduction?.value).toBe('Intro');
        const history = await log.listEvents({ limit: 10, groupId: G1 });
        expect(history.events).toStrictEqual([first, late]);
        expect(history.events[1]?.superseded).toEqual(['Name']);
      });

      it('lets a later arrival win when either change has no EventTime', async () => {
        await log.append([await groupChanged(G1, { Name: 'Timed' }, { eventTime: T0 + 5000 })]);
        const [untimed] = await log.append([await groupChanged(G1, { Name: 'Untimed' }, { at: T0 + 1 })]);
        expect(logged(untimed).diff).toEqual([{ field: 'Name', from: 'Timed', to: 'Untimed' }]);
        expect(logged(untimed)).not.toHaveProperty('superseded');
        const [again] = await log.append([await groupChanged(G1, { Name: 'Last' }, { at: T0 + 2 })]);
        expect(logged(again).diff).toEqual([{ field: 'Name', from: 'Untimed', to: 'Last' }]);
        expect((await log.getProfile('group', G1))?.fields.Name?.value).toBe('Last');
      });

      it('lets a later arrival win a tie of EventTime', async () => {
        await log.append([await groupChanged(G1, { Name: 'One' }, { eventTime: T0 })]);
        const [tie] = await log.append([
          await groupChanged(G1, { Name: 'Two' }, { eventTime: T0, at: T0 + 1 }),
        ]);
        expect(logged(tie).diff).toEqual([{ field: 'Name', from: 'One', to: 'Two' }]);
        expect((await log.getProfile('group', G1))?.fields.Name?.value).toBe('Two');
      });
    });

    describe('lifecycle', () => {
      it('opens a profile with its creation fields and createdAt on CreateGroup', async () => {
        const [result] = await log.append([
          await groupCreated(
            C1,
            'Community',
            { Name: 'Club', Introduction: 'Hello', custom: { Tier: 'gold' } },
            { at: T0 + 3, eventTime: T0 - 50, operator: 'admin' },
          ),
        ]);
        const event = logged(result);
        expect(event).toMatchObject({
          command: Commands.CreateGroup,
          kind: 'group',
          groupId: C1,
          topicId: null,
          groupType: 'Community',
          operator: 'admin',
          eventTime: T0 - 50,
          diff: [
            { field: 'Name', from: null, to: 'Club' },
            { field: 'Introduction', from: null, to: 'Hello' },
            { field: 'customFields.Tier', from: null, to: 'gold' },
          ],
        });
        const profile = await log.getProfile('group', C1);
        expect(profile).toMatchObject({
          groupType: 'Community',
          createdAt: T0 - 50,
          destroyedAt: null,
          firstSeq: event.seq,
          changeCount: 1,
        });
        expect(profile?.fields['customFields.Tier']?.value).toBe('gold');
      });

      it('sets destroyedAt on GroupDestroyed and keeps the last values', async () => {
        await log.append([await groupCreated(G2, 'Public', { Name: 'Doomed' }, { eventTime: T0 - 50 })]);
        const [result] = await log.append([
          await groupDestroyed(G2, { at: T0 + 9, eventTime: T0 + 5, operator: 'owner' }),
        ]);
        expect(logged(result)).toMatchObject({
          command: Commands.GroupDestroyed,
          kind: 'group',
          groupId: G2,
          operator: 'owner',
          changes: {},
          diff: [],
        });
        expect(await log.getProfile('group', G2)).toMatchObject({
          createdAt: T0 - 50,
          destroyedAt: T0 + 5,
          changeCount: 2,
          lastOperator: 'owner',
          fields: { Name: { value: 'Doomed' } },
        });
      });

      it('takes the arrival time as destroyedAt when GroupDestroyed has no EventTime', async () => {
        await log.append([await groupDestroyed(G2, { at: T0 + 42 })]);
        expect(await log.getProfile('group', G2)).toMatchObject({
          destroyedAt: T0 + 42,
          createdAt: null,
          fields: {},
        });
      });

      it('reopens a destroyed group that is created again', async () => {
        await log.append([await groupDestroyed(G2, { at: T0 })]);
        await log.append([await groupCreated(G2, 'Public', { Name: 'Reborn' }, { at: T0 + 1 })]);
        expect(await log.getProfile('group', G2)).toMatchObject({ createdAt: T0 + 1, destroyedAt: null });
      });

      it('opens a topic profile in its community on CreateTopic', async () => {
        const [result] = await log.append([
          await topicCreated(C1, T1, { Name: 'General', Notification: 'Be nice' }, { eventTime: T0 - 7 }),
        ]);
        expect(logged(result)).toMatchObject({
          command: Commands.CreateTopic,
          kind: 'topic',
          groupId: C1,
          topicId: T1,
          diff: [
            { field: 'Name', from: null, to: 'General' },
            { field: 'Notification', from: null, to: 'Be nice' },
          ],
        });
        expect(await log.getProfile('topic', T1)).toMatchObject({
          kind: 'topic',
          id: T1,
          groupId: C1,
          groupType: 'Community',
          createdAt: T0 - 7,
          destroyedAt: null,
        });
        expect(await log.getProfile('group', C1)).toBeNull();
      });

      it('closes every topic of a TopicDestroyed TopicIdList', async () => {
        await log.append([
          await topicCreated(C1, T1, { Name: 'One' }),
          await topicCreated(C1, T2, { Name: 'Two' }),
          await topicCreated(C1, `${C1}@TOPIC#_@TOPIC#SURVIVOR`, { Name: 'Three' }),
        ]);
        const [result] = await log.append([await topicsDestroyed(C1, [T1, T2], { at: T0 + 5 })]);
        expect(logged(result)).toMatchObject({
          command: Commands.TopicDestroyed,
          kind: 'topic',
          groupId: C1,
          topicId: null,
          diff: [],
        });
        expect(await log.getProfile('topic', T1)).toMatchObject({
          destroyedAt: T0 + 5,
          fields: { Name: { value: 'One' } },
        });
        expect(await log.getProfile('topic', T2)).toMatchObject({ destroyedAt: T0 + 5 });
        expect(await log.getProfile('topic', `${C1}@TOPIC#_@TOPIC#SURVIVOR`)).toMatchObject({
          destroyedAt: null,
        });
      });

      it('lists a TopicDestroyed of several topics in the history of each topic it closes, and of no other', async () => {
        const survivor = `${C1}@TOPIC#_@TOPIC#SURVIVOR`;
        const [one, , kept] = await log.append([
          await topicCreated(C1, T1, { Name: 'One' }),
          await topicCreated(C1, T2, { Name: 'Two' }),
          await topicCreated(C1, survivor, { Name: 'Three' }),
        ]);
        const [renamed] = await log.append([await topicChanged(C1, T1, { Name: 'Uno' })]);
        const [destroyed] = await log.append([await topicsDestroyed(C1, [T1, T2], { at: T0 + 5 })]);
        // Another community's destroy of a topic with the same own part, and a later change.
        await log.append([await topicsDestroyed(C2, [T3, `${C2}@TOPIC#_@TOPIC#TOPICONE`])]);
        const [after] = await log.append([await topicChanged(C1, survivor, { Name: 'Drei' })]);
        const destroySeq = logged(destroyed).seq;

        const history = await log.listEvents({ limit: 10, topicId: T1, order: 'desc' });
        expect(seqs(history.events)).toEqual([destroySeq, logged(renamed).seq, logged(one).seq]);
        expect(seqs((await log.listEvents({ limit: 10, topicId: T2 })).events)).toContain(destroySeq);
        expect(seqs((await log.listEvents({ limit: 10, topicId: survivor })).events)).toEqual([
          logged(kept).seq,
          logged(after).seq,
        ]);
        const rendered = await log.listRendered({ limit: 10, topicId: T1, order: 'desc' });
        expect(rendered.events.map((event) => event.seq)).toEqual(seqs(history.events));
        expect(JSON.parse(rendered.events[0]!.json)).toMatchObject({ seq: destroySeq, topicId: null });

        // Pages meet at the destroy from both sides, and the other filters apply to it.
        const first = await log.listEvents({ limit: 1, topicId: T1, order: 'desc' });
        expect(seqs(first.events)).toEqual([destroySeq]);
        expect(first.next).toBe(destroySeq);
        const second = await log.listEvents({ limit: 1, topicId: T1, before: first.next! });
        expect(seqs(second.events)).toEqual([logged(renamed).seq]);
        const ascending = await log.listEvents({ limit: 2, topicId: T1, after: logged(one).seq });
        expect(seqs(ascending.events)).toEqual([logged(renamed).seq, destroySeq]);
        expect(ascending.next).toBeNull();
        const destroysOnly = await log.listEvents({
          limit: 10,
          topicId: T1,
          command: Commands.TopicDestroyed,
        });
        expect(seqs(destroysOnly.events)).toEqual([destroySeq]);
        expect((await log.listEvents({ limit: 10, topicId: T1, groupId: C2 })).events).toEqual([]);
        expect(seqs((await log.listEvents({ limit: 10, topicId: T1, until: T0 })).events)).not.toContain(
          destroySeq,
        );
      });

      it('names the topic on the event of a TopicDestroyed that closes exactly one', async () => {
        const [result] = await log.append([await topicsDestroyed(C1, [T1])]);
        expect(logged(result)).toMatchObject({ kind: 'topic', groupId: C1, topicId: T1 });
        expect(seqs((await log.listEvents({ limit: 10, topicId: T1 })).events)).toEqual([logged(result).seq]);
      });
    });

    describe('topics', () => {
      it('logs a topic change without TopicId against its community, with the topic unknown', async () => {
        const [result] = await log.append([await seedEntry('topic-info-changed')]);
        expect(logged(result)).toStrictEqual({
          seq: logged(result).seq,
          receivedAt: T0,
          eventTime: null,
          command: Commands.TopicInfoChanged,
          kind: 'topic',
          sdkAppId: APP_ID,
          groupId: G1,
          topicId: null,
          groupType: 'Community',
          operator: 'leckie',
          optPlatform: 'RESTAPI',
          clientIp: '203.0.113.7',
          changes: {
            Name: 'TestTopic',
            Introduction: 'TestIntroduction',
            Notification: 'NewNotification',
            FaceUrl: 'http://this.is.face.url',
          },
          diff: [
            { field: 'Name', from: null, to: 'TestTopic' },
            { field: 'Introduction', from: null, to: 'TestIntroduction' },
            { field: 'Notification', from: null, to: 'NewNotification' },
            { field: 'FaceUrl', from: null, to: 'http://this.is.face.url' },
          ],
          raw: readSeedJson('topic-info-changed'),
        });
        expect(await log.getProfile('topic', G1)).toBeNull();
        expect(await log.getProfile('group', G1)).toBeNull();
        expect((await log.listProfiles({ kind: 'topic', groupId: G1, limit: 10 })).items).toEqual([]);
        expect((await log.listProfiles({ kind: 'topic', limit: 10 })).items).toEqual([]);
        expect(seqs((await log.listEvents({ limit: 10, groupId: G1, kind: 'topic' })).events)).toEqual([
          logged(result).seq,
        ]);
      });

      it('diffs every unknown-topic change from null, since it has no profile to diff against', async () => {
        await log.append([await topicChanged(C1, null, { Name: 'Same' })]);
        const [second] = await log.append([
          await topicChanged(C1, null, { Name: 'Same' }, { eventTime: T0 }),
        ]);
        expect(logged(second).diff).toEqual([{ field: 'Name', from: null, to: 'Same' }]);
      });

      it('reads a GroupId that is a topic id as that topic of its community', async () => {
        const [byGroupId] = await log.append([await topicChanged(T1, null, { Name: 'Via GroupId' })]);
        expect(logged(byGroupId)).toMatchObject({ kind: 'topic', groupId: C1, topicId: T1 });
        expect(await log.getProfile('topic', T1)).toMatchObject({ id: T1, groupId: C1 });
        const [byTopicId] = await log.append([await topicChanged(C1, T1, { Name: 'Via TopicId' })]);
        expect(logged(byTopicId).diff).toEqual([{ field: 'Name', from: 'Via GroupId', to: 'Via TopicId' }]);
      });

      it('keeps a topic profile apart from its community group profile', async () => {
        await log.append([
          await groupCreated(C1, 'Community', { Name: 'Community name' }),
          await topicChanged(C1, T1, { Name: 'Topic name' }),
        ]);
        expect((await log.getProfile('group', C1))?.fields.Name?.value).toBe('Community name');
        expect((await log.getProfile('topic', T1))?.fields.Name?.value).toBe('Topic name');
        expect(await log.getProfile('group', T1)).toBeNull();
        expect(await log.getProfile('topic', C1)).toBeNull();
      });
    });

    describe('listEvents', () => {
      /** Six events of every kind; `seq[i]` is the seq of the i-th. */
      let seq: number[];

      beforeEach(async () => {
        const results = await log.append([
          await groupChanged(G1, { Name: 'g1-a' }, { at: T0, operator: 'alice', optPlatform: 'RESTAPI' }),
          await groupChanged(G2, { Name: 'g2-a' }, { at: T0 + 1000, operator: 'bob', optPlatform: 'Web' }),
          await topicChanged(
            C1,
            T1,
            { Name: 't1-a' },
            { at: T0 + 2000, operator: 'alice', optPlatform: 'Android' },
          ),
          await groupChanged(G1, { Introduction: 'g1-b' }, { at: T0 + 3000, operator: 'bob' }),
          await topicChanged(
            C1,
            null,
            { Name: 'unknown' },
            { at: T0 + 4000, operator: 'carol', optPlatform: 'iOS' },
          ),
          await groupDestroyed(G1, { at: T0 + 5000, operator: 'alice' }),
        ]);
        seq = results.map((result) => logged(result).seq);
      });

      it('reads oldest first with no cursor', async () => {
        expect(seqs((await log.listEvents({ limit: 100 })).events)).toEqual(seq);
      });

      it('gives next null when the limit is exactly the number of events', async () => {
        const page = await log.listEvents({ limit: 6 });
        expect(seqs(page.events)).toEqual(seq);
        expect(page.next).toBeNull();
      });

      it('gives the last seq as next when one more event remains, and that page ends the log', async () => {
        const page = await log.listEvents({ limit: 5 });
        expect(seqs(page.events)).toEqual(seq.slice(0, 5));
        expect(page.next).toBe(seq[4]);
        const rest = await log.listEvents({ limit: 5, after: page.next! });
        expect(seqs(rest.events)).toEqual([seq[5]]);
        expect(rest.next).toBeNull();
      });

      it('gives an empty page after the last seq', async () => {
        expect(await log.listEvents({ limit: 10, after: seq[5]! })).toEqual({ events: [], next: null });
      });

      it('reads newest first before a cursor, page by page, down to the first event', async () => {
        const first = await log.listEvents({ limit: 2, before: seq[5]! + 1 });
        expect(seqs(first.events)).toEqual([seq[5], seq[4]]);
        expect(first.next).toBe(seq[4]);
        const second = await log.listEvents({ limit: 2, before: first.next! });
        expect(seqs(second.events)).toEqual([seq[3], seq[2]]);
        const third = await log.listEvents({ limit: 2, before: second.next! });
        expect(seqs(third.events)).toEqual([seq[1], seq[0]]);
        expect(third.next).toBeNull();
        expect(await log.listEvents({ limit: 2, before: seq[0]! })).toEqual({ events: [], next: null });
      });

      it('reads newest first with order desc and no cursor', async () => {
        const page = await log.listEvents({ limit: 2, order: 'desc' });
        expect(seqs(page.events)).toEqual([seq[5], seq[4]]);
        expect(page.next).toBe(seq[4]);
      });

      it.each([
        ['groupId of a group', { groupId: G1 }, [0, 3, 5]],
        ['groupId of a community', { groupId: C1 }, [2, 4]],
        ['topicId', { topicId: T1 }, [2]],
        ['command', { command: Commands.GroupDestroyed }, [5]],
        ['operator', { operator: 'alice' }, [0, 2, 5]],
        ['kind', { kind: 'topic' as const }, [2, 4]],
        ['optPlatform', { optPlatform: 'Web' }, [1]],
        ['since and until, both inclusive', { since: T0 + 1000, until: T0 + 3000 }, [1, 2, 3]],
        ['since alone', { since: T0 + 4000 }, [4, 5]],
        ['until alone', { until: T0 }, [0]],
        ['two filters together', { groupId: G1, operator: 'bob' }, [3]],
        ['a value nothing has', { operator: 'nobody' }, []],
      ])('filters by %s', async (_, filter, indexes) => {
        const page = await log.listEvents({ limit: 100, ...filter });
        expect(seqs(page.events)).toEqual(indexes.map((i) => seq[i]));
        expect(page.next).toBeNull();
      });

      it('pages through a filter by the filtered events only', async () => {
        const first = await log.listEvents({ limit: 2, groupId: G1 });
        expect(seqs(first.events)).toEqual([seq[0], seq[3]]);
        expect(first.next).toBe(seq[3]);
        const rest = await log.listEvents({ limit: 2, groupId: G1, after: first.next! });
        expect(seqs(rest.events)).toEqual([seq[5]]);
        expect(rest.next).toBeNull();
        const back = await log.listEvents({ limit: 5, groupId: G1, before: seq[5]! });
        expect(seqs(back.events)).toEqual([seq[3], seq[0]]);
      });
    });

    describe('listRendered', () => {
      it('gives each event as one line of JSON equal to what listEvents and append give', async () => {
        const results = await log.append([
          await groupChanged(G1, { Name: 'a', custom: { Level: '1' } }),
          await topicChanged(C1, T1, { Name: 'line\nbreak' }),
          await groupChanged(G2, { Name: 'late' }, { eventTime: 1 }),
          await groupChanged(G2, { Name: 'early' }, { eventTime: 2 }),
          await groupChanged(G2, { Name: 'older' }, { eventTime: 0 }),
        ]);
        const rendered = await log.listRendered({ limit: 10 });
        const listed = await log.listEvents({ limit: 10 });
        expect(rendered.next).toBeNull();
        expect(rendered.events.map((event) => JSON.parse(event.json))).toEqual(listed.events);
        for (const event of rendered.events) expect(event.json).not.toMatch(/[\r\n]/);
        expect(rendered.events.map((event) => event.json)).toEqual(
          results.map((result) => (result.duplicate ? null : result.rendered.json)),
        );
        const [first] = rendered.events;
        expect(first).toMatchObject({
          kind: 'group',
          command: listed.events[0]!.command,
          groupId: G1,
          topicId: null,
        });
        expect(first?.raw).toBe((await groupChanged(G1, { Name: 'a', custom: { Level: '1' } })).rawBody);
      });

      it('escapes every text as JSON.stringify does, and keeps an inline body as sent less the spaces around it', async () => {
        const awkward = 'q"uote \\ back/slash \u0001\u001f\u007f \u2028\u2029 é 😀 \t tab';
        // The receiver refuses control characters in ids: the store is handed them directly.
        const entry = {
          ...(await groupChanged(
            G1,
            { Name: awkward, custom: { [`K${awkward}`]: awkward } },
            { eventTime: 5 },
          )),
          operator: awkward,
          optPlatform: awkward,
          clientIp: awkward,
          groupType: awkward,
        };
        const spaced = { ...entry, rawBody: ` \t${entry.rawBody}\t `, dedupeKey: 'spaced' };
        const results = await log.append([entry, spaced]);
        const rendered = await log.listRendered({ limit: 10 });
        const listed = await log.listEvents({ limit: 10 });
        expect(rendered.events.map((event) => event.json)).toEqual(
          listed.events.map((event) => JSON.stringify(event)),
        );
        expect(rendered.events.map((event) => event.json)).toEqual(
          results.map((result) => (result.duplicate ? null : result.rendered.json)),
        );
        expect(rendered.events[1]!.raw).toBe(spaced.rawBody);
        expect(JSON.parse(rendered.events[1]!.json).operator).toBe(awkward);
      });

      it('renders a body spread over several lines on one line, and a body that is not an object', async () => {
        const entry = await groupChanged(G1, { Name: 'pretty' });
        const pretty = {
          ...entry,
          rawBody: JSON.stringify(JSON.parse(entry.rawBody), null, 2),
          dedupeKey: 'pretty',
        };
        const text = { ...entry, rawBody: 'not json', dedupeKey: 'text' };
        await log.append([pretty, text]);
        const { events } = await log.listRendered({ limit: 10 });
        expect(events.map((event) => event.json)).not.toContainEqual(expect.stringMatching(/\n/));
        expect(JSON.parse(events[0]!.json).raw).toEqual(JSON.parse(entry.rawBody));
        expect(events[0]!.raw).toBe(pretty.rawBody);
        expect(JSON.parse(events[1]!.json).raw).toBe('not json');
      });

      it('pages and filters as listEvents does', async () => {
        await log.append([
          await groupChanged(G1, { Name: 'a' }),
          await groupChanged(G2, { Name: 'b' }),
          await groupChanged(G1, { Name: 'c' }),
          await groupChanged(G1, { Name: 'd' }),
        ]);
        for (const query of [
          { limit: 2, groupId: G1 },
          { limit: 2, groupId: G1, order: 'desc' as const },
          { limit: 1, after: 1 },
          { limit: 5, before: 4 },
        ]) {
          const rendered = await log.listRendered(query);
          const listed = await log.listEvents(query);
          expect(rendered.events.map((event) => event.seq)).toEqual(seqs(listed.events));
          expect(rendered.next).toBe(listed.next);
        }
      });
    });

    it('reads an empty log as an empty page', async () => {
      expect(await log.listEvents({ limit: 1 })).toEqual({ events: [], next: null });
    });

    describe('ids and values round trip byte for byte', () => {
      // Ids at the limit of the id rules (128 UTF-8 bytes), with emoji, CJK, combining marks and
      // the characters a URL gives a meaning to; values that hold what a text column cannot.
      const AT_LIMIT = `@TGS#👍🏽e\u0301群组 /%?#&+${'x'.repeat(99)}`;
      const IDS = [AT_LIMIT, 'a/b %2F?c#d&e=f+g', '测试群组', 'cafe\u0301', 'caf\u00e9', 'g\ufffd'];
      const OPERATOR = `ops/张三 👍🏽${'o'.repeat(128 - 19)}`;
      const CUSTOM = { nul: 'a\u0000b', lone: 'x\ud800y', controls: '\u0001\t\n\u007f\u0085', emoji: '👍🏽' };
      const COMMUNITY = '@TGS#_C/1% ?#';
      const TOPIC = `${COMMUNITY}@TOPIC#_主题 #1?`;

      it('gives back each id, operator and value exactly as the callback carried it', async () => {
        expect(new TextEncoder().encode(AT_LIMIT).length).toBe(128);
        expect(new TextEncoder().encode(OPERATOR).length).toBe(128);
        const entries = [];
        for (const id of IDS)
          entries.push(await groupChanged(id, { Name: `${id} 名`, custom: CUSTOM }, { operator: OPERATOR }));
        const results = await log.append(entries);
        const listed = await log.listProfiles({ kind: 'group', limit: 100 });
        expect(listed.items.map((item) => item.id).sort()).toEqual([...IDS].sort());
        for (const [i, id] of IDS.entries()) {
          const profile = await log.getProfile('group', id);
          expect(profile).toMatchObject({ id, groupId: id, lastOperator: OPERATOR, changeCount: 1 });
          expect(profile?.fields.Name?.value).toBe(`${id} 名`);
          for (const [key, value] of Object.entries(CUSTOM))
            expect(profile?.fields[`customFields.${key}`]?.value).toBe(value);
          const history = await log.listEvents({ groupId: id, limit: 10 });
          expect(history.events).toStrictEqual([logged(results[i])]);
          expect(history.events[0]).toMatchObject({ groupId: id, operator: OPERATOR });
          expect(history.events[0]?.changes.customFields).toEqual(CUSTOM);
          expect(history.events[0]?.diff).toContainEqual({
            field: 'customFields.nul',
            from: null,
            to: 'a\u0000b',
          });
          const rendered = await log.listRendered({ groupId: id, limit: 10 });
          expect(rendered.events.map((event) => JSON.parse(event.json))).toEqual(history.events);
          expect((await log.listEvents({ operator: OPERATOR, groupId: id, limit: 10 })).events).toHaveLength(
            1,
          );
        }
      });

      it('gives back a topic id holding spaces, `#`, `?`, `/` and `%` through its profile, history and community', async () => {
        await log.append([
          await topicCreated(COMMUNITY, TOPIC, { Name: '主题', custom: CUSTOM }),
          await topicChanged(COMMUNITY, TOPIC, { Introduction: 'tab\there\nline 👍🏽' }),
        ]);
        expect(await log.getProfile('topic', TOPIC)).toMatchObject({ id: TOPIC, groupId: COMMUNITY });
        expect((await log.getProfile('topic', TOPIC))?.fields.Introduction?.value).toBe('tab\there\nline 👍🏽');
        const history = await log.listEvents({ topicId: TOPIC, limit: 10 });
        expect(history.events.map((event) => [event.groupId, event.topicId])).toEqual([
          [COMMUNITY, TOPIC],
          [COMMUNITY, TOPIC],
        ]);
        const topics = await log.listProfiles({ kind: 'topic', groupId: COMMUNITY, limit: 10 });
        expect(topics.items.map((item) => item.id)).toEqual([TOPIC]);
        await log.append([await topicsDestroyed(COMMUNITY, [TOPIC])]);
        expect((await log.getProfile('topic', TOPIC))?.destroyedAt).not.toBeNull();
      });
    });

    describe('listProfiles', () => {
      it('lists groups most recently changed first, page by page', async () => {
        await log.append([
          await groupChanged(G1, { Name: 'one' }),
          await groupChanged(G2, { Name: 'two' }),
          await groupChanged(C1, { Name: 'three' }),
          await topicChanged(C1, T1, { Name: 'not a group' }),
          await groupChanged(G1, { Name: 'one again' }),
        ]);
        const all = await log.listProfiles({ kind: 'group', limit: 3 });
        expect(all.items.map((item) => item.id)).toEqual([G1, C1, G2]);
        expect(all.next).toBeNull();
        const first = await log.listProfiles({ kind: 'group', limit: 2 });
        expect(first.items.map((item) => item.id)).toEqual([G1, C1]);
        expect(first.next).toBe(first.items[1]?.lastSeq);
        const rest = await log.listProfiles({ kind: 'group', limit: 2, before: first.next! });
        expect(rest.items.map((item) => item.id)).toEqual([G2]);
        expect(rest.next).toBeNull();
      });

      it('lists the topics of one community only', async () => {
        await log.append([
          await topicCreated(C1, T1, { Name: 'one' }),
          await topicCreated(C2, T3, { Name: 'three' }),
          await topicCreated(C1, T2, { Name: 'two' }),
        ]);
        const ofC1 = await log.listProfiles({ kind: 'topic', groupId: C1, limit: 10 });
        expect(ofC1.items.map((item) => item.id)).toEqual([T2, T1]);
        const ofC2 = await log.listProfiles({ kind: 'topic', groupId: C2, limit: 10 });
        expect(ofC2.items.map((item) => item.id)).toEqual([T3]);
        const every = await log.listProfiles({ kind: 'topic', limit: 10 });
        expect(every.items.map((item) => item.id)).toEqual([T2, T3, T1]);
        expect(await log.listProfiles({ kind: 'topic', groupId: G1, limit: 10 })).toEqual({
          items: [],
          next: null,
        });
      });

      it('pages through topics one destroy closed together without skipping any', async () => {
        // The topics one TopicDestroyed closes share its seq: a page must not end inside them.
        const T4 = `${C1}@TOPIC#_@TOPIC#TOPICFOUR`;
        await log.append([
          await topicCreated(C1, T1, { Name: 'one' }),
          await topicCreated(C1, T2, { Name: 'two' }),
          await topicCreated(C1, T4, { Name: 'four' }),
        ]);
        await log.append([await topicsDestroyed(C1, [T4, T1, T2])]);
        const seen: string[] = [];
        let before: number | undefined;
        for (let pages = 0; pages < 5; pages++) {
          const page = await log.listProfiles({
            kind: 'topic',
            groupId: C1,
            limit: 2,
            ...(before !== undefined ? { before } : {}),
          });
          seen.push(...page.items.map((item) => item.id));
          if (page.next === null) break;
          before = page.next;
        }
        expect(seen).toEqual([T1, T2, T4].sort());
      });

      it('gives null for a profile never seen', async () => {
        expect(await log.getProfile('group', G1)).toBeNull();
        expect(await log.getProfile('topic', T1)).toBeNull();
      });
    });

    describe('stats', () => {
      it('counts nothing in an empty log', async () => {
        expect(await log.stats()).toMatchObject({ events: 0, lastSeq: 0 });
      });

      it('counts logged events, not duplicates, and names the last seq', async () => {
        const results = await log.append([
          await groupChanged(G1, { Name: 'a' }),
          await groupChanged(G1, { Name: 'b' }),
          await groupChanged(G1, { Name: 'c' }),
        ]);
        const [retry] = await log.append([await groupChanged(G1, { Name: 'b' })]);
        expect(retry?.duplicate).toBe(true);
        const stats = await log.stats();
        expect(stats.events).toBe(3);
        expect(stats.lastSeq).toBe(logged(results[2]).seq);
        expect(stats.bytes).toBeGreaterThan(0);
      });
    });

    describe('field filter and search (the dashboard)', () => {
      /** By index: 0 G1 Name+Level, 1 G2 Notification, 2 C1 created, 3 T1 FaceUrl, 4 C1 unknown topic, 5 G1 Region. */
      let seq: number[];

      beforeEach(async () => {
        const results = await log.append([
          await groupChanged(G1, { Name: 'Ops Team', custom: { Level: '1' } }, { at: T0 }),
          await groupChanged(G2, { Name: 'Équipe 100%_done' }, { at: T0 + 1 }),
          await groupCreated(C1, 'Community', { Name: 'Makers' }, { at: T0 + 2 }),
          await topicCreated(C1, T1, { Name: 'General chat' }, { at: T0 + 3 }),
          await topicChanged(C1, null, { Notification: 'who?' }, { at: T0 + 4 }),
          await groupChanged(G1, { custom: { Region: 'eu' } }, { at: T0 + 5 }),
        ]);
        seq = results.map((result) => logged(result).seq);
      });

      it.each([
        ['Name', [0, 1, 2, 3]],
        ['Notification', [4]],
        ['customFields.Level', [0]],
        ['customFields', [0, 5]],
        ['FaceUrl', []],
        ['customFields.Nope', []],
      ])('keeps the events whose callback carried field %s', async (field, indexes) => {
        const page = await log.listEvents({ limit: 100, field });
        expect(seqs(page.events)).toEqual(indexes.map((i) => seq[i]));
      });

      it('combines the field filter with the others and pages newest first', async () => {
        expect(seqs((await log.listEvents({ limit: 100, field: 'Name', groupId: C1 })).events)).toEqual([
          seq[2],
          seq[3],
        ]);
        const first = await log.listEvents({ limit: 2, field: 'Name', order: 'desc' });
        expect(seqs(first.events)).toEqual([seq[3], seq[2]]);
        const rest = await log.listEvents({ limit: 2, field: 'Name', before: first.next! });
        expect(seqs(rest.events)).toEqual([seq[1], seq[0]]);
        expect(rest.next).toBeNull();
      });

      it.each([
        ['a group by its current name, ignoring case', 'ops team', [0, 5]],
        ['a name with letters beyond ASCII, ignoring case', 'ÉQUIPE', [1]],
        ['% and _ as plain characters', '100%_', [1]],
        ['a community by its name, with its topics', 'makers', [2, 3, 4]],
        ['a topic by its name', 'GENERAL', [3]],
        ['a group by part of its id', G2.slice(5, 11).toLowerCase(), [1]],
        ['a topic by part of its id', 'topicone', [3]],
        ['text no name or id holds', 'nothing like this', []],
      ])('searches %s', async (_, search, indexes) => {
        const page = await log.listEvents({ limit: 100, search });
        expect(seqs(page.events)).toEqual(indexes.map((i) => seq[i]));
      });

      it('searches the current name: after a rename the old one finds nothing, the new one everything', async () => {
        const [renamed] = await log.append([await groupChanged(G1, { Name: 'Night owls' }, { at: T0 + 9 })]);
        expect(seqs((await log.listEvents({ limit: 100, search: 'ops team' })).events)).toEqual([]);
        expect(seqs((await log.listEvents({ limit: 100, search: 'owls' })).events)).toEqual([
          seq[0],
          seq[5],
          logged(renamed).seq,
        ]);
      });

      it('combines search, field and paging', async () => {
        const page = await log.listEvents({ limit: 1, search: 'makers', field: 'Name', order: 'desc' });
        expect(seqs(page.events)).toEqual([seq[3]]);
        const rest = await log.listEvents({ limit: 1, search: 'makers', field: 'Name', before: page.next! });
        expect(seqs(rest.events)).toEqual([seq[2]]);
        expect(rest.next).toBeNull();
      });
    });

    describe('countByTime', () => {
      it('counts arrivals per bucket from since, leaves out empty buckets and what is outside the range', async () => {
        const minute = 60_000;
        await log.append([
          await groupChanged(G1, { Name: 'before' }, { at: T0 - 1 }),
          await groupChanged(G1, { Name: 'a' }, { at: T0 }),
          await groupChanged(G1, { Name: 'b' }, { at: T0 + minute - 1 }),
          await groupChanged(G2, { Name: 'c' }, { at: T0 + 2 * minute }),
          await groupChanged(G2, { Name: 'd' }, { at: T0 + 2 * minute + 5 }),
          await groupChanged(G2, { Name: 'e' }, { at: T0 + 2 * minute + 10 }),
          await groupChanged(G2, { Name: 'at until' }, { at: T0 + 3 * minute }),
        ]);
        const [retry] = await log.append([await groupChanged(G1, { Name: 'a' }, { at: T0 + 7 })]);
        expect(retry?.duplicate).toBe(true);
        expect(await log.countByTime({ since: T0, until: T0 + 3 * minute, bucketMs: minute })).toEqual([
          { start: T0, count: 2 },
          { start: T0 + 2 * minute, count: 3 },
        ]);
        expect(await log.countByTime({ since: T0 + 10, until: T0 + 20, bucketMs: minute })).toEqual([]);
      });
    });

    it('can be closed twice', async () => {
      await log.close();
      await expect(log.close()).resolves.toBeUndefined();
    });
  });
}
