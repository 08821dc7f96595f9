import { Commands } from '../../src/protocol/index.js';
import { type AnyEvent, createReceiver } from '../../src/receiver/index.js';
import { type LogEntry, toLogEntry } from '../../src/store/index.js';
import { readSeed, SEED_REQUESTS, type SeedRequestName } from '../fixtures/seeds.js';

/** The app every entry belongs to. */
export const APP_ID = '1400000000';
/** The arrival time of an entry that names none: 2023-11-14T22:13:20Z. */
export const T0 = 1_700_000_000_000;

/** The group of the seed documents, and a second plain group. */
export const G1 = '@TGS#2J4SZEAEL';
export const G2 = '@TGS#2OTHERGRP';
/** Two communities and their topics (docs/protocol.md §3 id shapes). */
export const C1 = '@TGS#_@TGS#COMMUNITY1';
export const C2 = '@TGS#_@TGS#COMMUNITY2';
export const T1 = `${C1}@TOPIC#_@TOPIC#TOPICONE`;
export const T2 = `${C1}@TOPIC#_@TOPIC#TOPICTWO`;
export const T3 = `${C2}@TOPIC#_@TOPIC#TOPICTHREE`;

/** How an entry arrived; everything has a default. */
export interface Arrival {
  /** `receivedAt`, ms. Default {@link T0}. */
  at?: number;
  /** The body's `EventTime` (ms, as a number or a numeric string); absent by default. */
  eventTime?: number | string;
  /** `Operator_Account`. Default `leckie` (the seeds' operator). */
  operator?: string;
  optPlatform?: string;
  clientIp?: string;
}

/**
 * Runs `rawBody` through a real receiver as a callback of `command` and turns the event it
 * dispatches into a log entry, as the recorder does. Throws when the receiver refuses the body.
 */
export async function entryFromBody(
  command: string,
  rawBody: string,
  arrival: Arrival = {},
): Promise<LogEntry> {
  const receivedAt = arrival.at ?? T0;
  const receiver = createReceiver({ sdkAppId: APP_ID, now: () => receivedAt, log: () => {} });
  let captured: AnyEvent | undefined;
  receiver.onAny((event) => {
    captured = event;
  });
  const query = new URLSearchParams({
    SdkAppid: APP_ID,
    CallbackCommand: command,
    contenttype: 'json',
    ClientIP: arrival.clientIp ?? '203.0.113.7',
    OptPlatform: arrival.optPlatform ?? 'RESTAPI',
  });
  const result = await receiver.receive({ query, rawBody });
  if (!captured) throw new Error(`the receiver refused a test body: ${result.body}`);
  return toLogEntry(captured);
}

/** The entry of a seed sample, byte for byte. */
export function seedEntry(name: SeedRequestName, arrival: Arrival = {}): Promise<LogEntry> {
  return entryFromBody(SEED_REQUESTS[name], readSeed(name), arrival);
}

function bodyOf(command: string, fields: Record<string, unknown>, arrival: Arrival): string {
  return JSON.stringify({
    CallbackCommand: command,
    ...fields,
    ...(arrival.eventTime !== undefined ? { EventTime: arrival.eventTime } : {}),
  });
}

/** Profile fields of a change; `custom` becomes `UserDefinedDataList`. */
export interface ChangeFields {
  Name?: string;
  Introduction?: string;
  Notification?: string;
  FaceUrl?: string;
  custom?: Record<string, string>;
}

function profileFields(fields: ChangeFields): Record<string, unknown> {
  const { custom, ...base } = fields;
  if (!custom) return base;
  return { ...base, UserDefinedDataList: Object.entries(custom).map(([Key, Value]) => ({ Key, Value })) };
}

/** `Group.CallbackAfterGroupInfoChanged` for `groupId` (a `Public` group). */
export function groupChanged(
  groupId: string,
  fields: ChangeFields,
  arrival: Arrival = {},
): Promise<LogEntry> {
  const body = bodyOf(
    Commands.GroupInfoChanged,
    {
      GroupId: groupId,
      Type: 'Public',
      Operator_Account: arrival.operator ?? 'leckie',
      ...profileFields(fields),
    },
    arrival,
  );
  return entryFromBody(Commands.GroupInfoChanged, body, arrival);
}

/** `Group.CallbackAfterTopicInfoChanged`; `topicId` null sends the body as documented, without `TopicId`. */
export function topicChanged(
  groupId: string,
  topicId: string | null,
  fields: ChangeFields,
  arrival: Arrival = {},
): Promise<LogEntry> {
  const body = bodyOf(
    Commands.TopicInfoChanged,
    {
      GroupId: groupId,
      ...(topicId !== null ? { TopicId: topicId } : {}),
      Type: 'Community',
      Operator_Account: arrival.operator ?? 'leckie',
      ...profileFields(fields),
    },
    arrival,
  );
  return entryFromBody(Commands.TopicInfoChanged, body, arrival);
}

/** `Group.CallbackAfterCreateGroup`. */
export function groupCreated(
  groupId: string,
  type: string,
  fields: ChangeFields,
  arrival: Arrival = {},
): Promise<LogEntry> {
  const body = bodyOf(
    Commands.CreateGroup,
    {
      GroupId: groupId,
      Type: type,
      Owner_Account: 'owner',
      Operator_Account: arrival.operator ?? 'leckie',
      ...profileFields(fields),
      MemberList: [{ Member_Account: 'owner' }],
    },
    arrival,
  );
  return entryFromBody(Commands.CreateGroup, body, arrival);
}

/** `Group.CallbackAfterGroupDestroyed` (it names no operator, only the owner). */
export function groupDestroyed(groupId: string, arrival: Arrival = {}): Promise<LogEntry> {
  const body = bodyOf(
    Commands.GroupDestroyed,
    { GroupId: groupId, Type: 'Public', Owner_Account: arrival.operator ?? 'owner', MemberList: [] },
    arrival,
  );
  return entryFromBody(Commands.GroupDestroyed, body, arrival);
}

/** `Group.CallbackAfterCreateTopic`. */
export function topicCreated(
  groupId: string,
  topicId: string,
  fields: ChangeFields,
  arrival: Arrival = {},
): Promise<LogEntry> {
  const body = bodyOf(
    Commands.CreateTopic,
    {
      GroupId: groupId,
      TopicId: topicId,
      Type: 'Community',
      Operator_Account: arrival.operator ?? 'leckie',
      Owner_Account: 'owner',
      ...profileFields(fields),
    },
    arrival,
  );
  return entryFromBody(Commands.CreateTopic, body, arrival);
}

/** `Group.CallbackAfterTopicDestroyed` for every topic of `topicIds`. */
export function topicsDestroyed(
  groupId: string,
  topicIds: string[],
  arrival: Arrival = {},
): Promise<LogEntry> {
  const body = bodyOf(
    Commands.TopicDestroyed,
    { GroupId: groupId, Type: 'Community', TopicIdList: topicIds },
    arrival,
  );
  return entryFromBody(Commands.TopicDestroyed, body, arrival);
}
