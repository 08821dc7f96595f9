import type { ChatAnswer, Emulator } from '../emulator/index.js';

const PLATFORMS = ['iOS', 'Android', 'Web', 'Windows', 'Mac', 'iPad'];
const WORDS = [
  'Ops',
  'Night owls',
  'Design',
  'Release',
  'Support',
  'Weekend',
  'Books',
  'Launch',
  'Hiking',
  'Music',
];
const NOTES = [
  'Standup moved to 10:00',
  'Please read the pinned guide',
  'Maintenance tonight',
  'Welcome, new members!',
];
const USERS = { owner: 'alice', admin: 'bob', members: ['carol', 'dave', 'erin'] };

/** A group or topic the demo changes. */
interface Target {
  groupId: string;
  topicId?: string;
  type: string;
}

/** What the demo made at the start, and what it keeps changing. */
export interface DemoWorld {
  targets: Target[];
  /** Makes one realistic change; resolves with a one-line description. */
  step(): Promise<string>;
}

/**
 * Creates a few groups of each kind and a community with topics through the emulator's REST API,
 * with an owner, an admin and members, so simulated users have the permissions the real rules give.
 */
export async function createDemoWorld(
  emulator: Emulator,
  random: () => number = Math.random,
  options: { silentShare?: number } = {},
): Promise<DemoWorld> {
  const silentShare = options.silentShare ?? 0;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const members = [
    { Member_Account: USERS.admin, Role: 'Admin' },
    ...USERS.members.map((m) => ({ Member_Account: m })),
  ];
  const targets: Target[] = [];
  for (const [type, name] of [
    ['Public', 'Product announcements'],
    ['Private', 'Core team'],
    ['ChatRoom', 'Weekly sync'],
  ] as const) {
    const answer = await ok(
      emulator.rest('group_open_http_svc/create_group', {
        Type: type,
        Name: name,
        Owner_Account: USERS.owner,
        Introduction: `The ${name.toLowerCase()} group`,
        MemberList: members,
        AppDefinedData: [{ Key: 'Level', Value: '1' }],
      }),
    );
    targets.push({ groupId: String(answer.GroupId), type });
  }
  const community = await ok(
    emulator.rest('group_open_http_svc/create_group', {
      Type: 'Community',
      Name: 'Makers community',
      Owner_Account: USERS.owner,
      MemberList: members,
      SupportTopic: 1,
    }),
  );
  const communityId = String(community.GroupId);
  targets.push({ groupId: communityId, type: 'Community' });
  for (const topicName of ['General', 'Show and tell', 'Help']) {
    const topic = await ok(
      emulator.rest('million_group_open_http_svc/create_topic', {
        GroupId: communityId,
        TopicName: topicName,
        From_Account: USERS.owner,
      }),
    );
    targets.push({ groupId: communityId, topicId: String(topic.TopicId), type: 'Community' });
  }

  let counter = 0;
  return {
    targets,
    async step() {
      counter++;
      const target = pick(targets);
      // A share of the changes is made with no callback at all: drift only a reconciliation finds.
      const silent = silentShare > 0 && random() < silentShare;
      const viaClient = !silent && random() < 0.6;
      // Within the documented rules: Work/Private any member, ChatRoom the owner, else owner or admin.
      const operator =
        target.type === 'Private'
          ? pick([USERS.owner, ...USERS.members])
          : target.type === 'ChatRoom'
            ? USERS.owner
            : pick([USERS.owner, USERS.admin]);
      const change: Record<string, unknown> = {};
      const roll = random();
      if (roll < 0.3) change[target.topicId ? 'TopicName' : 'Name'] = `${pick(WORDS)} ${counter}`;
      else if (roll < 0.55) change.Notification = `${pick(NOTES)} (#${counter})`;
      else if (roll < 0.75) change.Introduction = `About ${pick(WORDS).toLowerCase()}, update ${counter}`;
      else if (roll < 0.85 || target.topicId) change.FaceUrl = `https://example.com/faces/${counter % 7}.png`;
      else change.AppDefinedData = [{ Key: pick(['Level', 'Region', 'Theme']), Value: String(counter % 5) }];
      const body = target.topicId
        ? { GroupId: target.groupId, TopicId: target.topicId, ...change }
        : { GroupId: target.groupId, ...change };
      const command = target.topicId
        ? 'million_group_open_http_svc/modify_topic'
        : 'group_open_http_svc/modify_group_base_info';
      const answer = silent
        ? await emulator.silent(command.slice(command.indexOf('/') + 1), { ...body, From_Account: operator })
        : viaClient
          ? await emulator.client(command.slice(command.indexOf('/') + 1), {
              ...body,
              Operator_Account: operator,
              OptPlatform: pick(PLATFORMS),
              ClientIP: `203.0.113.${1 + (counter % 250)}`,
            })
          : await emulator.rest(command, { ...body, From_Account: operator });
      const what = Object.keys(change).join(', ');
      const where = target.topicId ?? target.groupId;
      const who = silent
        ? `silently (no callback), ${operator}`
        : viaClient
          ? operator
          : `REST as ${operator}`;
      return `${who} changed ${what} of ${where}: ${answer.ActionStatus}${
        answer.ActionStatus === 'OK' ? '' : ` ${answer.ErrorCode} ${answer.ErrorInfo}`
      }`;
    },
  };
}

async function ok(call: Promise<ChatAnswer>): Promise<ChatAnswer> {
  const answer = await call;
  if (answer.ActionStatus !== 'OK')
    throw new Error(`the emulator refused a demo set-up call: ${answer.ErrorCode} ${answer.ErrorInfo}`);
  return answer;
}
