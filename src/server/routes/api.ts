import type { ServerResponse } from 'node:http';
import type { ChangeLog, ProfileView } from '../../store/index.js';
import { readEventQuery, readLimit, readSeq } from '../api-params.js';
import { readCappedPage } from '../capped-page.js';
import { ApiError, sendEventPage, sendJson } from '../http.js';
import type { RecentRefusals } from '../recent-refusals.js';
import { readSearchFilters } from '../search-params.js';

/** What the JSON API reads from. */
export interface ApiDeps {
  log: ChangeLog;
  refusals: RecentRefusals;
}

const PROFILE_ROUTE = /^\/api\/(groups|topics)\/([^/]+)(\/history|\/topics)?$/;

/**
 * Serves the read API of docs/recorder.md "API". Returns false when `path` is not one of its
 * routes. Ids arrive URL-encoded (`@TGS#…` holds `#`).
 */
export async function serveApi(
  deps: ApiDeps,
  path: string,
  params: URLSearchParams,
  res: ServerResponse,
): Promise<boolean> {
  if (path === '/api/events') {
    const query = readSearchFilters(params, readEventQuery(params, { order: 'asc' }));
    sendEventPage(res, await readCappedPage(deps.log, query));
    return true;
  }
  if (path === '/api/groups') {
    const before = readSeq(params, 'before');
    const page = await deps.log.listProfiles({
      kind: 'group',
      limit: readLimit(params),
      ...(before !== undefined ? { before } : {}),
    });
    sendJson(res, 200, { groups: page.items.map(presentProfile), next: page.next });
    return true;
  }
  if (path === '/api/refusals') {
    sendJson(res, 200, { refusals: deps.refusals.list() });
    return true;
  }
  const match = PROFILE_ROUTE.exec(path);
  if (!match) return false;
  const kind = match[1] === 'groups' ? 'group' : 'topic';
  const id = decodeId(match[2]!);
  const sub = match[3];
  if (sub === '/history') {
    const scope = kind === 'group' ? { groupId: id } : { topicId: id };
    const query = readSearchFilters(params, readEventQuery(params, { order: 'desc', ...scope }));
    sendEventPage(res, await readCappedPage(deps.log, query));
    return true;
  }
  if (sub === '/topics') {
    if (kind !== 'group') return false;
    const before = readSeq(params, 'before');
    const page = await deps.log.listProfiles({
      kind: 'topic',
      groupId: id,
      limit: readLimit(params),
      ...(before !== undefined ? { before } : {}),
    });
    sendJson(res, 200, { topics: page.items.map(presentProfile), next: page.next });
    return true;
  }
  const profile = await deps.log.getProfile(kind, id);
  if (!profile) throw new ApiError(404, 'not_found', `no ${kind} ${JSON.stringify(id)} has been recorded`);
  const body: Record<string, unknown> = presentProfile(profile);
  if (kind === 'group') {
    const topics = await deps.log.listProfiles({ kind: 'topic', groupId: id, limit: 1000 });
    body.topics = topics.items.map(presentProfile);
  }
  sendJson(res, 200, body);
  return true;
}

/** A profile as the API shows it: the plain current values, and each field's provenance. */
export function presentProfile(view: ProfileView): Record<string, unknown> {
  const profile: Record<string, unknown> = {};
  const customFields: Record<string, string> = {};
  for (const [field, state] of Object.entries(view.fields)) {
    if (field.startsWith('customFields.')) customFields[field.slice('customFields.'.length)] = state.value;
    else profile[field] = state.value;
  }
  profile.customFields = customFields;
  return {
    kind: view.kind,
    [view.kind === 'group' ? 'groupId' : 'topicId']: view.id,
    ...(view.kind === 'topic' ? { groupId: view.groupId } : {}),
    groupType: view.groupType,
    profile,
    fields: view.fields,
    createdAt: view.createdAt,
    destroyedAt: view.destroyedAt,
    firstSeq: view.firstSeq,
    lastSeq: view.lastSeq,
    lastChangedAt: view.lastChangedAt,
    lastOperator: view.lastOperator,
    changeCount: view.changeCount,
  };
}

function decodeId(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new ApiError(400, 'bad_id', 'the id in the path is not valid URL encoding');
  }
}
