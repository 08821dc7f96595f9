import type { MirrorState } from '../../store/index.js';
import { type CheckDeps, checkGroups } from './check-profiles.js';
import { isFatalSourceError } from './mirror-source.js';
import {
  addCounts,
  newPassState,
  PASS_STATE_KEY,
  type PassCounts,
  type PassState,
  readPassState,
  zeroCounts,
} from './pass-state.js';

/** Settings of a reconciliation pass. */
export interface PassOptions {
  /** Ids per `get_appid_group_list` page. Default 10,000 (the API's most). */
  pageSize?: number;
  /** Ids per `get_group_info` call. Default 50 (the API's most). */
  batchSize?: number;
  /** `get_group_info` calls in flight at once. Default 16: enough to use 200 calls/s at 80 ms a call. */
  concurrency?: number;
}

/** What a pass needs: the checks' dependencies, where its state is kept, and who hears its progress. */
export interface PassDeps extends CheckDeps {
  state: MirrorState;
  onProgress: (state: PassState) => void;
  /** True once the recorder is stopping: the pass stops between batches, still `running`, to resume. */
  isStopping: () => boolean;
}

/** The pass was stopped by the recorder stopping; it resumes at the next start. */
class PassStopped extends Error {
  override name = 'PassStopped';
}

/**
 * Runs a reconciliation pass to its end: resumes the interrupted one stored in `deps.state` when
 * `resume` allows, else starts a new one. Walks every group of the app page by page, checks them in
 * batches (several calls in flight), then checks the mirrored groups the walk did not list.
 * Progress is written after each batch that completes the done prefix of its page, so a pass
 * stopped at any moment (even `kill -9`) resumes where that prefix ends. Resolves with the final
 * state; a fatal error stops the pass with `status: "failed"` and its message.
 */
export async function runPass(
  deps: PassDeps,
  trigger: string,
  options: PassOptions & { resume: 'running' | 'unfinished' | 'never' },
): Promise<PassState> {
  const { pageSize = 10_000, batchSize = 50, concurrency = 16 } = options;
  const stored = readPassState(await deps.state.read(PASS_STATE_KEY));
  const resumable =
    stored !== null &&
    stored.status !== 'done' &&
    (options.resume === 'unfinished' || (options.resume === 'running' && stored.status === 'running'));
  const pass: PassState = resumable
    ? { ...stored, status: 'running', error: null, resumed: stored.resumed + 1, trigger }
    : newPassState(trigger, deps.now());
  const save = async () => {
    await deps.state.write(PASS_STATE_KEY, pass);
    deps.onProgress({ ...pass });
  };
  await save();
  try {
    const seen = new Set<string>();
    if (pass.phase === 'groups')
      await walkGroups(deps, pass, save, seen, { pageSize, batchSize, concurrency });
    pass.phase = 'sweep';
    pass.pageDone = 0;
    await save();
    await sweepMirror(deps, pass, seen, { batchSize, concurrency });
    pass.phase = 'done';
    pass.status = 'done';
  } catch (error) {
    if (error instanceof PassStopped) {
      await save();
      return { ...pass };
    }
    pass.status = 'failed';
    pass.error = describeError(error);
  }
  pass.finishedAt = deps.now();
  await save();
  return { ...pass };
}

interface Sizes {
  pageSize: number;
  batchSize: number;
  concurrency: number;
}

async function walkGroups(
  deps: PassDeps,
  pass: PassState,
  save: () => Promise<void>,
  seen: Set<string>,
  sizes: Sizes,
): Promise<void> {
  let page = await deps.source.listGroups(pass.pageCursor, sizes.pageSize);
  for (;;) {
    if (page.total !== null) pass.total = page.total;
    // The next page is fetched while this one is checked: the list allows 1 call/s.
    const following = page.next !== '0' ? deps.source.listGroups(page.next, sizes.pageSize) : null;
    following?.catch(() => {});
    const ids = page.groupIds.slice(pass.pageDone);
    for (const id of ids) seen.add(id);
    await checkInBatches(deps, ids, sizes, async (done, counts) => {
      pass.pageDone += done;
      addCounts(pass, counts);
      await save();
    });
    if (!following) return;
    const next = page.next;
    page = await following;
    pass.pageCursor = next;
    pass.pageDone = 0;
    await save();
  }
}

/**
 * Checks the mirrored groups (open ones) the walk did not list: created since, or gone. A resumed
 * pass knows only what it listed since it resumed, so it checks a few more: harmless.
 */
async function sweepMirror(
  deps: PassDeps,
  pass: PassState,
  seen: Set<string>,
  sizes: Pick<Sizes, 'batchSize' | 'concurrency'>,
): Promise<void> {
  const unlisted: string[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await deps.log.listProfiles({
      kind: 'group',
      limit: 1000,
      ...(before !== undefined ? { before } : {}),
    });
    for (const view of page.items) {
      if (view.destroyedAt === null && !seen.has(view.id)) unlisted.push(view.id);
    }
    if (page.next === null) break;
    before = page.next;
  }
  await checkInBatches(deps, unlisted, { ...sizes, pageSize: 0 }, (_done, counts) => {
    pass.swept += counts.scanned;
    addCounts(pass, { ...counts, scanned: 0, topicsScanned: 0 });
    return Promise.resolve();
  });
}

/**
 * Checks `ids` in batches, `concurrency` at a time. `onPrefix` hears, in order, each run of batches
 * that extends the done prefix: how many ids, and their counts. A batch whose call fails counts its
 * ids as failed; a fatal error stops everything and rejects.
 */
async function checkInBatches(
  deps: PassDeps,
  ids: readonly string[],
  sizes: Sizes,
  onPrefix: (done: number, counts: PassCounts) => Promise<void>,
): Promise<void> {
  const batches: string[][] = [];
  for (let at = 0; at < ids.length; at += sizes.batchSize) batches.push(ids.slice(at, at + sizes.batchSize));
  const results: Array<PassCounts | undefined> = [];
  let prefix = 0;
  let next = 0;
  let fatal: unknown;
  let reporting = Promise.resolve();
  const advance = () => {
    let done = 0;
    const counts = zeroCounts();
    while (prefix < batches.length && results[prefix] !== undefined) {
      done += batches[prefix]!.length;
      addCounts(counts, results[prefix]!);
      prefix++;
    }
    if (done > 0) reporting = reporting.then(() => onPrefix(done, counts));
  };
  const worker = async () => {
    while (fatal === undefined && !deps.isStopping() && next < batches.length) {
      const index = next++;
      const batch = batches[index]!;
      try {
        results[index] = await checkGroups(deps, batch);
      } catch (error) {
        // A call cut short by the recorder stopping is not a failure: the batch is done again on resume.
        if (deps.isStopping()) return;
        if (isFatalSourceError(error)) {
          fatal = error;
          return;
        }
        results[index] = { ...zeroCounts(), failed: batch.length };
      }
      advance();
    }
  };
  await Promise.all(Array.from({ length: Math.min(sizes.concurrency, batches.length) }, worker));
  await reporting;
  if (fatal !== undefined) throw fatal;
  if (prefix < batches.length) throw new PassStopped('the recorder is stopping');
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
