import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { runCli, type Spawned, spawnCli, tempDir } from '../cli/support.js';
import {
  ADMIN,
  configureEmulator,
  CUSTOM_KEYS,
  flattenGroupInfo,
  flattenRecorded,
  flattenTopicInfo,
  inParallel,
  type RestCaller,
  restCaller,
  SDK_APP_ID,
  SECRET_KEY,
  startEmulatorProcess,
  TOKEN,
  waitForDeliveries,
} from './mirror-support.js';

const GROUPS = 300;
const COMMUNITIES = 10;
const TOPICS_PER_COMMUNITY = 5;

const running: Spawned[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  for (const child of running.splice(0)) {
    child.child.kill('SIGKILL');
    await child.exited;
  }
  for (const cleanup of cleanups.splice(0)) cleanup();
});

interface PassView {
  id: string;
  status: string;
  scanned: number;
  topicsScanned: number;
  drifted: number;
  fixed: number;
  failed: number;
  resumed: number;
  total: number | null;
}

/** Starts `timhook serve` with the REST settings; get_group_info is slowed so a pass takes seconds. */
async function startRecorder(db: string, emulatorUrl: string): Promise<{ serve: Spawned; url: string }> {
  const serve = spawnCli(
    [
      'serve',
      '--sdk-appid',
      String(SDK_APP_ID),
      '--token',
      TOKEN,
      '--port',
      '0',
      '--db',
      db,
      '--rest-admin',
      ADMIN,
      '--rest-url',
      emulatorUrl,
      '--rest-rate-limit',
      'get_group_info=4',
    ],
    { env: { TIMHOOK_REST_SECRET_KEY: SECRET_KEY } },
  );
  running.push(serve);
  const [, url] = await serve.waitFor(/listening on (http:\/\/\S+)/);
  return { serve, url: url! };
}

async function passStatus(url: string): Promise<{ running: boolean; pass: PassView | null }> {
  const response = await fetch(`${url}/api/reconcile`);
  return (await response.json()) as { running: boolean; pass: PassView | null };
}

async function waitForPass(
  url: string,
  done: (status: { running: boolean; pass: PassView | null }) => boolean,
  timeoutMs = 60_000,
): Promise<PassView> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const status = await passStatus(url);
    if (done(status)) return status.pass!;
    if (Date.now() > until) throw new Error(`no such pass state in time: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Creates the groups, communities and topics; returns their ids. */
async function seed(rest: RestCaller): Promise<{ groups: string[]; topics: Map<string, string[]> }> {
  const groups: string[] = [];
  const topics = new Map<string, string[]>();
  await inParallel(
    Array.from({ length: GROUPS }, (_, i) => i),
    16,
    async (i) => {
      const community = i < COMMUNITIES;
      const answer = await rest.call('group_open_http_svc/create_group', {
        Type: community ? 'Community' : i % 2 ? 'Public' : 'Private',
        Name: `group ${i}`,
        Introduction: `intro ${i}`,
        ...(i % 3 === 0 ? { Notification: `notice ${i}` } : {}),
        ...(community ? { SupportTopic: 1 } : {}),
        AppDefinedData: i % 4 === 0 ? [{ Key: 'Level', Value: String(i) }] : [],
      });
      groups.push(answer.GroupId as string);
      if (community) topics.set(answer.GroupId as string, []);
    },
  );
  for (const [community, list] of topics) {
    for (let t = 0; t < TOPICS_PER_COMMUNITY; t++) {
      const answer = await rest.call('million_group_open_http_svc/create_topic', {
        GroupId: community,
        TopicName: `topic ${t}`,
        Introduction: `about ${t}`,
      });
      list.push(answer.TopicId as string);
    }
  }
  return { groups, topics };
}

/** Random profile changes, some through the silent face (no callback at all). */
async function modify(
  rest: RestCaller,
  groups: string[],
  topics: Map<string, string[]>,
  count: number,
): Promise<void> {
  const allTopics = [...topics].flatMap(([community, ids]) => ids.map((id) => [community, id] as const));
  let seedValue = 12345;
  const random = () => {
    seedValue = (seedValue * 1103515245 + 12345) % 2 ** 31;
    return seedValue / 2 ** 31;
  };
  const jobs = Array.from({ length: count }, (_, i) => {
    const silent = i % 10 === 9;
    if (random() < 0.8) {
      const groupId = groups[Math.floor(random() * groups.length)]!;
      const body: Record<string, unknown> = { GroupId: groupId };
      const pick = random();
      if (pick < 0.3) body.Name = `renamed ${i}`;
      else if (pick < 0.5) body.Notification = `notice v${i}`;
      else if (pick < 0.6) body.FaceUrl = `https://example.com/${i}.png`;
      else body.AppDefinedData = [{ Key: CUSTOM_KEYS[i % CUSTOM_KEYS.length]!, Value: `v${i}` }];
      return () =>
        rest.call(
          'group_open_http_svc/modify_group_base_info',
          body,
          silent ? '/emulator/silent/modify_group_base_info' : undefined,
        );
    }
    const [community, topicId] = allTopics[Math.floor(random() * allTopics.length)]!;
    const body = { GroupId: community, TopicId: topicId, Introduction: `topic intro v${i}` };
    return () =>
      rest.call(
        'million_group_open_http_svc/modify_topic',
        body,
        silent ? '/emulator/silent/modify_topic' : undefined,
      );
  });
  await inParallel(jobs, 8, async (job) => {
    await job();
  });
}

/** Every group's and topic's profile in the recorder, against what the emulator's API answers. */
async function compareAll(
  rest: RestCaller,
  recorderUrl: string,
  groups: string[],
  topics: Map<string, string[]>,
): Promise<void> {
  const mismatches: string[] = [];
  for (let at = 0; at < groups.length; at += 50) {
    const answer = await rest.call('group_open_http_svc/get_group_info', {
      GroupIdList: groups.slice(at, at + 50),
    });
    for (const info of answer.GroupInfo as Array<Record<string, unknown>>) {
      const id = info.GroupId as string;
      const response = await fetch(`${recorderUrl}/api/groups/${encodeURIComponent(id)}`);
      if (response.status !== 200) {
        mismatches.push(`${id}: not recorded (${response.status})`);
        continue;
      }
      const recorded = flattenRecorded(
        (await response.json()) as { fields: Record<string, { value: string }> },
        true,
      );
      const truth = flattenGroupInfo(info);
      if (JSON.stringify(sorted(recorded)) !== JSON.stringify(sorted(truth))) {
        mismatches.push(
          `${id}: recorder ${JSON.stringify(sorted(recorded))} vs API ${JSON.stringify(sorted(truth))}`,
        );
      }
    }
  }
  for (const [community, ids] of topics) {
    const answer = await rest.call('million_group_open_http_svc/get_topic', { GroupId: community });
    const infos = (answer.TopicAndSelfInfo as Array<{ TopicInfo: Record<string, unknown> }>).map(
      (t) => t.TopicInfo,
    );
    expect(infos.map((info) => info.TopicId).sort()).toEqual([...ids].sort());
    for (const info of infos) {
      const id = info.TopicId as string;
      const response = await fetch(`${recorderUrl}/api/topics/${encodeURIComponent(id)}`);
      if (response.status !== 200) {
        mismatches.push(`${id}: not recorded (${response.status})`);
        continue;
      }
      const recorded = flattenRecorded(
        (await response.json()) as { fields: Record<string, { value: string }> },
        false,
      );
      const truth = flattenTopicInfo(info);
      if (JSON.stringify(sorted(recorded)) !== JSON.stringify(sorted(truth))) {
        mismatches.push(
          `${id}: recorder ${JSON.stringify(sorted(recorded))} vs API ${JSON.stringify(sorted(truth))}`,
        );
      }
    }
  }
  expect(mismatches).toEqual([]);
}

function sorted(profile: Record<string, string>): Array<[string, string]> {
  return Object.entries(profile).sort(([a], [b]) => a.localeCompare(b));
}

it('after one reconciliation pass (killed halfway with kill -9, then resumed) every profile equals the REST API’s, and a second pass finds no drift', async () => {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const db = join(dir.path, 'mirror.db');
  const { emulator, url: emulatorUrl } = await startEmulatorProcess();
  running.push(emulator);
  const rest = restCaller(emulatorUrl);

  // The app already has its groups and topics when the recorder first starts.
  const { groups, topics } = await seed(rest);
  const first = await startRecorder(db, emulatorUrl);
  await configureEmulator(emulatorUrl, {
    callbackUrl: `${first.url}/callback`,
    dropCallbacks: 0.2,
    seed: 7,
  });
  await modify(rest, groups, topics, 600);
  await waitForDeliveries(emulatorUrl);

  // A pass, killed once it has checked some groups but not all of them.
  const start = await fetch(`${first.url}/api/reconcile`, { method: 'POST' });
  expect(start.status).toBe(202);
  const halfway = await waitForPass(
    first.url,
    (s) => s.running && (s.pass?.scanned ?? 0) >= 50 && (s.pass?.scanned ?? 0) < GROUPS,
  );
  first.serve.child.kill('SIGKILL');
  await first.serve.exited;

  // The restarted recorder resumes the pass and finishes it.
  const second = await startRecorder(db, emulatorUrl);
  const finished = await waitForPass(second.url, (s) => !s.running && s.pass?.status === 'done');
  expect(finished.id).toBe(halfway.id);
  expect(finished.resumed).toBe(1);
  expect(finished.scanned).toBe(GROUPS);
  expect(finished.topicsScanned).toBe(COMMUNITIES * TOPICS_PER_COMMUNITY);
  expect(finished.failed).toBe(0);
  // Lost callbacks and silent changes made the mirror drift: the pass found and fixed it.
  expect(finished.drifted).toBeGreaterThan(0);
  expect(finished.fixed).toBe(finished.drifted);

  await compareAll(rest, second.url, groups, topics);

  // A second pass, run by `timhook reconcile` through the recorder, finds nothing to fix.
  const again = await runCli(['reconcile', '--url', second.url]);
  expect(again.stderr).toBe('');
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(
    new RegExp(
      `reconciliation done in [\\d.]+ s: scanned ${GROUPS} groups and ${COMMUNITIES * TOPICS_PER_COMMUNITY} topics, drifted 0, fixed 0, filled 0, vanished 0, failed 0`,
    ),
  );
}, 120_000);
