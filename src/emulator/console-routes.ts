import type { IncomingMessage, ServerResponse } from 'node:http';
import { maskConfig, parseConfigPatch } from './config.js';
import { type EmulatorCore, updateConfig } from './core.js';
import type { DeliveryFilter, DeliveryOutcome } from './delivery-log.js';
import { parseJsonObject, readBody, sendApiError, sendJson } from './http-io.js';

// The console's routes are a JSON API (`{ error: { code, message } }`), not the Chat envelope.

/** Where the console settings are read and changed. */
export const CONFIG_PATH = '/emulator/config';
/** Where delivery attempts are listed. */
export const DELIVERIES_PATH = '/emulator/deliveries';

/**
 * `GET /emulator/config` shows the console settings (token masked); `PUT` applies a partial update
 * and shows the result. A bad update is refused whole with 400 and every problem listed.
 */
export async function handleConfig(
  core: EmulatorCore,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method === 'GET') {
    sendJson(res, 200, describeConfig(core));
    return;
  }
  if (req.method !== 'PUT') {
    sendApiError(res, 405, 'method_not_allowed', 'use GET or PUT');
    return;
  }
  const body = await readBody(req, core.maxBodyBytes);
  const json = body.ok ? parseJsonObject(body.text) : undefined;
  if (!json) {
    sendApiError(res, 400, 'bad_json', 'the body must be a JSON object of settings to change');
    return;
  }
  const parsed = parseConfigPatch(json);
  if (!parsed.ok) {
    sendApiError(res, 400, 'invalid_config', parsed.problems.join('; '));
    return;
  }
  updateConfig(core, parsed.patch);
  sendJson(res, 200, describeConfig(core));
}

/** The settings as the console shows them, with the app's fixed identity. */
export function describeConfig(core: EmulatorCore): Record<string, unknown> {
  return { sdkAppId: core.sdkAppId, ...maskConfig(core.config) };
}

const OUTCOMES: ReadonlySet<string> = new Set<DeliveryOutcome>([
  'ok',
  'fail',
  'http-error',
  'bad-answer',
  'timeout',
  'error',
  'dropped',
]);

/**
 * `GET /emulator/deliveries?limit=&command=&groupId=&outcome=` lists delivery attempts, newest
 * first, with the callbacks still pending and the number lost on purpose since the start;
 * `DELETE` empties the log.
 */
export function handleDeliveries(
  core: EmulatorCore,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): void {
  if (req.method === 'DELETE') {
    core.deliveries.clear();
    res.writeHead(204).end();
    return;
  }
  if (req.method !== 'GET') {
    sendApiError(res, 405, 'method_not_allowed', 'use GET or DELETE');
    return;
  }
  const filter: DeliveryFilter = {};
  const limit = url.searchParams.get('limit');
  if (limit !== null) {
    if (!/^\d{1,6}$/.test(limit) || Number(limit) < 1) {
      sendApiError(res, 400, 'invalid_limit', 'limit must be a whole number from 1');
      return;
    }
    filter.limit = Number(limit);
  }
  const command = url.searchParams.get('command');
  if (command) filter.command = command;
  const groupId = url.searchParams.get('groupId');
  if (groupId) filter.groupId = groupId;
  const outcome = url.searchParams.get('outcome');
  if (outcome) {
    if (!OUTCOMES.has(outcome)) {
      sendApiError(res, 400, 'invalid_outcome', `outcome must be one of ${[...OUTCOMES].join(', ')}`);
      return;
    }
    filter.outcome = outcome as DeliveryOutcome;
  }
  sendJson(res, 200, {
    deliveries: core.deliveries.list(filter),
    pending: core.dispatcher.pending,
    dropped: core.dispatcher.dropped,
  });
}
