import type { ProfileChange } from '../../protocol/index.js';
import type { ChangeLog, ProfileView } from '../../store/index.js';
import { type GroupFacts, isFatalSourceError, type MirrorSource, type TopicFacts } from './mirror-source.js';
import { type PassCounts, zeroCounts } from './pass-state.js';
import {
  differingFields,
  isEmptyProfileChange,
  REST_COMMANDS,
  type RestFact,
  toRestEntry,
} from './rest-entry.js';

/** What checking profiles against the REST API needs. */
export interface CheckDeps {
  source: MirrorSource;
  /** The change log: its appends join the recorder's callbacks in its group commit. */
  log: Pick<ChangeLog, 'append' | 'getProfile' | 'listProfiles'>;
  sdkAppId: string;
  now: () => number;
}

const GET_GROUP_INFO = 'group_open_http_svc/get_group_info';
const GET_TOPIC = 'million_group_open_http_svc/get_topic';

/**
 * Checks up to 50 groups (one `get_group_info` call) and the topics of the communities among them,
 * and records what differs. A call that fails records nothing of the ids it covered (they count as
 * failed); a fatal error (wrong key, not an admin) rejects.
 */
export async function checkGroups(deps: CheckDeps, groupIds: readonly string[]): Promise<PassCounts> {
  const counts = zeroCounts();
  if (groupIds.length === 0) return counts;
  const requestedAt = deps.now();
  const lookups = await deps.source.getGroups(groupIds);
  const work: Array<Promise<void>> = [];
  for (const lookup of lookups) {
    if (lookup.status === 'failed') {
      counts.failed++;
      continue;
    }
    counts.scanned++;
    if (lookup.status === 'gone') work.push(closeGroup(deps, lookup.groupId, requestedAt, counts));
    else work.push(checkGroup(deps, lookup.facts, requestedAt, counts));
  }
  await settleAll(work);
  return counts;
}

async function checkGroup(
  deps: CheckDeps,
  facts: GroupFacts,
  requestedAt: number,
  counts: PassCounts,
): Promise<void> {
  const view = await deps.log.getProfile('group', facts.groupId);
  const outcome = await recordTruth(deps, view, requestedAt, {
    kind: 'group',
    groupId: facts.groupId,
    topicId: null,
    groupType: facts.type,
    profile: facts.profile,
    api: GET_GROUP_INFO,
    answer: facts.answer,
  });
  tally(counts, outcome);
  if (facts.supportTopic) await checkTopics(deps, facts.groupId, facts.type, counts);
}

async function closeGroup(
  deps: CheckDeps,
  groupId: string,
  requestedAt: number,
  counts: PassCounts,
): Promise<void> {
  const view = await deps.log.getProfile('group', groupId);
  if (!view || view.destroyedAt !== null) return;
  tally(counts, await recordVanished(deps, view, requestedAt, GET_GROUP_INFO));
}

/** Checks every topic of community `groupId`, and closes the mirrored topics it no longer has. */
export async function checkTopics(
  deps: CheckDeps,
  groupId: string,
  groupType: string | null,
  counts: PassCounts,
): Promise<void> {
  const requestedAt = deps.now();
  let topics: TopicFacts[] | null;
  try {
    topics = await deps.source.getTopics(groupId);
  } catch (error) {
    if (isFatalSourceError(error)) throw error;
    counts.failed++;
    return;
  }
  const listed = new Set<string>();
  const work: Array<Promise<void>> = [];
  for (const topic of topics ?? []) {
    listed.add(topic.topicId);
    counts.topicsScanned++;
    work.push(
      (async () => {
        const view = await deps.log.getProfile('topic', topic.topicId);
        const outcome = await recordTruth(deps, view, requestedAt, {
          kind: 'topic',
          groupId,
          topicId: topic.topicId,
          groupType,
          profile: topic.profile,
          api: GET_TOPIC,
          answer: topic.answer,
        });
        tally(counts, outcome);
      })(),
    );
  }
  await settleAll(work);
  for (const view of await mirroredTopics(deps, groupId)) {
    if (listed.has(view.id) || view.destroyedAt !== null) continue;
    tally(counts, await recordVanished(deps, view, requestedAt, GET_TOPIC));
  }
}

async function mirroredTopics(deps: CheckDeps, groupId: string): Promise<ProfileView[]> {
  const out: ProfileView[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await deps.log.listProfiles({
      kind: 'topic',
      groupId,
      limit: 500,
      ...(before !== undefined ? { before } : {}),
    });
    out.push(...page.items);
    if (page.next === null) return out;
    before = page.next;
  }
}

type Outcome = 'same' | 'filled' | 'fixed' | 'vanished' | 'failed' | 'failed-drift';

interface Truth {
  kind: 'group' | 'topic';
  groupId: string;
  topicId: string | null;
  groupType: string | null;
  profile: ProfileChange;
  api: string;
  answer: unknown;
}

/**
 * Records what the API said of one profile: whole (`Snapshot`) when the mirror has never seen it,
 * the differing fields (`Reconciled`) when it has, nothing when they agree.
 */
async function recordTruth(
  deps: CheckDeps,
  view: ProfileView | null,
  requestedAt: number,
  truth: Truth,
): Promise<Outcome> {
  const fill = view === null || Object.keys(view.fields).length === 0;
  const changes = fill
    ? truth.profile
    : differingFields(view, truth.profile, requestedAt, truth.kind === 'group');
  if (!fill && isEmptyProfileChange(changes)) return 'same';
  const fact: RestFact = {
    command: fill ? REST_COMMANDS.snapshot : REST_COMMANDS.reconciled,
    kind: truth.kind,
    sdkAppId: deps.sdkAppId,
    groupId: truth.groupId,
    topicId: truth.topicId,
    groupType: truth.groupType,
    changes,
    requestedAt,
    receivedAt: deps.now(),
    api: truth.api,
    answer: truth.answer,
  };
  try {
    await deps.log.append([toRestEntry(fact)]);
    return fill ? 'filled' : 'fixed';
  } catch {
    return fill ? 'failed' : 'failed-drift';
  }
}

async function recordVanished(
  deps: CheckDeps,
  view: ProfileView,
  requestedAt: number,
  api: string,
): Promise<Outcome> {
  const fact: RestFact = {
    command: REST_COMMANDS.vanished,
    kind: view.kind,
    sdkAppId: deps.sdkAppId,
    groupId: view.groupId,
    topicId: view.kind === 'topic' ? view.id : null,
    groupType: view.groupType,
    changes: {},
    requestedAt,
    receivedAt: deps.now(),
    api,
    answer: null,
  };
  try {
    await deps.log.append([toRestEntry(fact)]);
    return 'vanished';
  } catch {
    return 'failed-drift';
  }
}

function tally(counts: PassCounts, outcome: Outcome): void {
  if (outcome === 'filled') counts.filled++;
  if (outcome === 'fixed' || outcome === 'vanished' || outcome === 'failed-drift') counts.drifted++;
  if (outcome === 'fixed' || outcome === 'vanished') counts.fixed++;
  if (outcome === 'vanished') counts.vanished++;
  if (outcome === 'failed' || outcome === 'failed-drift') counts.failed++;
}

/** Waits for every promise; rethrows the first fatal error, else the first error. */
async function settleAll(work: Array<Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(work);
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  const fatal = errors.find(isFatalSourceError);
  if (fatal !== undefined) throw fatal;
  if (errors.length > 0) throw errors[0];
}
