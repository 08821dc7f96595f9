import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallOrigin } from './command-context.js';
import { CLIENT_COMMANDS } from './commands.js';
import { answerError, chatFailure, type EmulatorCore, runCommand } from './core.js';
import { ErrorCodes } from './errors.js';
import { parseJsonObject, readBody, remoteAddressOf, sendJson } from './http-io.js';
import { ClientFields, parseRequest } from './request-schemas.js';

/** The client face's path prefix: `/emulator/client/<command>`. */
export const CLIENT_PREFIX = '/emulator/client/';

/**
 * Serves `POST /emulator/client/<command>`: a simulated app user's change. The body is the REST
 * command's body plus `Operator_Account` (the user), and optionally `OptPlatform` (default `Web`)
 * and `ClientIP` (default the caller's address). The group's permission rules apply; answers use
 * the Chat envelope and codes, with HTTP 200.
 */
export async function handleClient(
  core: EmulatorCore,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  if (req.method !== 'POST') {
    sendJson(
      res,
      200,
      chatFailure(ErrorCodes.HttpParse, `${req.method} is not supported: client calls are POST`),
    );
    return;
  }
  const body = await readBody(req, core.maxBodyBytes);
  const name = url.pathname.slice(CLIENT_PREFIX.length);
  const handler = CLIENT_COMMANDS.get(name);
  if (!handler) {
    const known = [...CLIENT_COMMANDS.keys()].join(', ');
    sendJson(
      res,
      200,
      chatFailure(ErrorCodes.InvalidCommand, `unknown client command ${name}; known: ${known}`),
    );
    return;
  }
  const json = body.ok ? parseJsonObject(body.text) : undefined;
  if (!json) {
    sendJson(res, 200, chatFailure(ErrorCodes.JsonParse, 'the request body is not a JSON object'), !body.ok);
    return;
  }
  let origin: CallOrigin;
  try {
    origin = clientOrigin(json, req);
  } catch (error) {
    sendJson(res, 200, answerError(core, error));
    return;
  }
  sendJson(res, 200, runCommand(core, handler, origin, json));
}

/** The user, platform and address a client call claims (10004 without `Operator_Account`). */
function clientOrigin(json: Record<string, unknown>, req: IncomingMessage): CallOrigin {
  const fields = parseRequest(ClientFields, json);
  return {
    via: 'client',
    operator: fields.Operator_Account,
    optPlatform: fields.OptPlatform ?? 'Web',
    clientIp: fields.ClientIP ?? remoteAddressOf(req),
  };
}
