import { BASE_FIELDS } from '../../protocol/index.js';
import type { ProfileView, RenderedEvent } from '../../store/index.js';
import type { CheckDeps } from './check-profiles.js';
import { isFatalSourceError } from './mirror-source.js';
import { isRestCommand, REST_COMMANDS, toRestEntry } from './rest-entry.js';

/** Fills the profiles of groups and topics the callbacks name and the mirror does not know whole. */
export interface FirstSight {
  /** Looks at a committed event; never waits (the fill runs in the background). */
  notice(event: RenderedEvent): void;
  /** Resolves when everything noticed so far has been fetched and recorded, or has failed. */
  idle(): Promise<void>;
  stop(): void;
}

/** Settings of the fill. */
export interface FirstSightOptions {
  /** How long noticed ids wait to be batched, ms. Default 50. */
  delayMs?: number;
  /** Ids per `get_group_info` call. Default 50 (the API's most). */
  batchSize?: number;
  /** Told of a fill that failed (it is tried again the next time a callback names the group). */
  onError: (message: string, error: unknown) => void;
}

const GET_GROUP_INFO = 'group_open_http_svc/get_group_info';
const GET_TOPIC = 'million_group_open_http_svc/get_topic';

/** A profile is whole once it has every base field (a snapshot writes all of them). */
function isWhole(view: ProfileView | null): boolean {
  return view !== null && BASE_FIELDS.every((field) => view.fields[field] !== undefined);
}

/**
 * Creates the first-sight fill: each group (or topic) a callback names is looked up once per
 * process; when its mirrored profile lacks a base field, it is fetched with `get_group_info` (≤ 50
 * ids a call) or `get_topic` (a community's topics named meanwhile, in one call) and recorded whole
 * as `timhook.Snapshot`. It runs after the callback's commit, off the path of its answer.
 */
export function createFirstSight(deps: CheckDeps, options: FirstSightOptions): FirstSight {
  const { delayMs = 50, batchSize = 50, onError } = options;
  const looked = new Set<string>();
  let groups: string[] = [];
  let topics = new Map<string, Set<string>>();
  let timer: NodeJS.Timeout | null = null;
  const running = new Set<Promise<void>>();
  let stopped = false;

  const track = (work: Promise<void>) => {
    running.add(work);
    void work.finally(() => running.delete(work));
  };

  function schedule(): void {
    if (timer || stopped) return;
    timer = setTimeout(flush, groups.length >= batchSize ? 0 : delayMs);
  }

  function flush(): void {
    timer = null;
    const takenGroups = groups;
    const takenTopics = topics;
    groups = [];
    topics = new Map();
    for (let at = 0; at < takenGroups.length; at += batchSize) {
      track(fillGroups(takenGroups.slice(at, at + batchSize)));
    }
    for (const [groupId, ids] of takenTopics) track(fillTopics(groupId, [...ids]));
  }

  function forget(keys: string[], message: string, error: unknown): void {
    for (const key of keys) looked.delete(key);
    onError(isFatalSourceError(error) ? `${message}: ${(error as Error).message}` : message, error);
  }

  async function fillGroups(ids: string[]): Promise<void> {
    try {
      const views = await Promise.all(ids.map((id) => deps.log.getProfile('group', id)));
      const wanted = ids.filter((_id, i) => !isWhole(views[i] ?? null));
      if (wanted.length === 0) return;
      const requestedAt = deps.now();
      const lookups = await deps.source.getGroups(wanted);
      const writes = lookups.flatMap((lookup) =>
        lookup.status === 'found'
          ? [
              deps.log.append([
                toRestEntry({
                  command: REST_COMMANDS.snapshot,
                  kind: 'group',
                  sdkAppId: deps.sdkAppId,
                  groupId: lookup.groupId,
                  topicId: null,
                  groupType: lookup.facts.type,
                  changes: lookup.facts.profile,
                  requestedAt,
                  receivedAt: deps.now(),
                  api: GET_GROUP_INFO,
                  answer: lookup.facts.answer,
                }),
              ]),
            ]
          : [],
      );
      const failed = lookups.filter((lookup) => lookup.status === 'failed').map((l) => `group:${l.groupId}`);
      for (const key of failed) looked.delete(key);
      await Promise.all(writes);
    } catch (error) {
      forget(
        ids.map((id) => `group:${id}`),
        `could not fill the profiles of ${ids.length} groups from the REST API`,
        error,
      );
    }
  }

  async function fillTopics(groupId: string, ids: string[]): Promise<void> {
    try {
      const views = await Promise.all(ids.map((id) => deps.log.getProfile('topic', id)));
      const wanted = ids.filter((_id, i) => !isWhole(views[i] ?? null));
      if (wanted.length === 0) return;
      const requestedAt = deps.now();
      const found = (await deps.source.getTopics(groupId, wanted)) ?? [];
      await Promise.all(
        found.map((topic) =>
          deps.log.append([
            toRestEntry({
              command: REST_COMMANDS.snapshot,
              kind: 'topic',
              sdkAppId: deps.sdkAppId,
              groupId,
              topicId: topic.topicId,
              groupType: 'Community',
              changes: topic.profile,
              requestedAt,
              receivedAt: deps.now(),
              api: GET_TOPIC,
              answer: topic.answer,
            }),
          ]),
        ),
      );
    } catch (error) {
      forget(
        ids.map((id) => `topic:${id}`),
        `could not fill the profiles of ${ids.length} topics of ${groupId} from the REST API`,
        error,
      );
    }
  }

  function noticeGroup(groupId: string): void {
    const key = `group:${groupId}`;
    if (looked.has(key)) return;
    looked.add(key);
    groups.push(groupId);
  }

  return {
    notice(event) {
      if (stopped || isRestCommand(event.command) || !event.groupId) return;
      if (event.command.endsWith('Destroyed')) return;
      noticeGroup(event.groupId);
      if (event.kind === 'topic' && event.topicId) {
        const key = `topic:${event.topicId}`;
        if (!looked.has(key)) {
          looked.add(key);
          const set = topics.get(event.groupId) ?? new Set<string>();
          set.add(event.topicId);
          topics.set(event.groupId, set);
        }
      }
      // The set of ids looked at is bounded: past a million, it starts again.
      if (looked.size > 1_000_000) looked.clear();
      schedule();
    },
    async idle() {
      while (timer || running.size > 0) {
        if (timer) {
          clearTimeout(timer);
          flush();
        }
        await Promise.allSettled([...running]);
      }
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
