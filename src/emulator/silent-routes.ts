import type { IncomingMessage, ServerResponse } from 'node:http';
import { CLIENT_COMMANDS } from './commands.js';
import { chatFailure, type EmulatorCore, runCommand } from './core.js';
import { ErrorCodes } from './errors.js';
import { parseJsonObject, readBody, remoteAddressOf, sendJson } from './http-io.js';

/** The silent face's path prefix: `/emulator/silent/<command>`. */
export const SILENT_PREFIX = '/emulator/silent/';

/**
 * Serves `POST /emulator/silent/{modify_group_base_info,modify_topic}`: the REST command's change,
 * made with no callback at all, so a recorder's copy drifts from the truth with no trace. The
 * operator is `From_Account`, else the first app admin; answers use the Chat envelope, HTTP 200.
 */
export async function handleSilent(
  core: EmulatorCore,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const name = url.pathname.slice(SILENT_PREFIX.length);
  const handler = CLIENT_COMMANDS.get(name);
  if (req.method !== 'POST' || !handler) {
    const known = [...CLIENT_COMMANDS.keys()].join(', ');
    sendJson(res, 200, chatFailure(ErrorCodes.InvalidCommand, `POST one of ${known} to ${SILENT_PREFIX}`));
    return;
  }
  const body = await readBody(req, core.maxBodyBytes);
  const json = body.ok ? parseJsonObject(body.text) : undefined;
  if (!json) {
    sendJson(res, 200, chatFailure(ErrorCodes.JsonParse, 'the request body is not a JSON object'), !body.ok);
    return;
  }
  const from = json.From_Account;
  const operator = typeof from === 'string' && from !== '' ? from : core.config.admins[0]!;
  const origin = { via: 'rest', operator, optPlatform: 'RESTAPI', clientIp: remoteAddressOf(req) } as const;
  sendJson(res, 200, runCommand(core, handler, origin, json, { silent: true }));
}
