import type { IncomingMessage, ServerResponse } from 'node:http';
import { REST_COMMANDS } from './commands.js';
import { type ChatAnswer, chatFailure, type EmulatorCore, runCommand } from './core.js';
import { ErrorCodes } from './errors.js';
import { parseJsonObject, readBody, remoteAddressOf, sendJson } from './http-io.js';

/** The REST path prefix: `/v4/<service>/<command>` (docs/protocol.md §4). */
export const REST_PREFIX = '/v4/';

/**
 * Serves `POST /v4/<service>/<command>?sdkappid=&identifier=&usersig=&random=&contenttype=json`.
 * The HTTP status is 200 whatever happens; the outcome is in the body (docs/protocol.md §4).
 */
export async function handleRest(
  core: EmulatorCore,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  if (req.method !== 'POST') {
    sendJson(
      res,
      200,
      chatFailure(ErrorCodes.HttpParse, `${req.method} is not supported: REST calls are POST`),
    );
    return;
  }
  const body = await readBody(req, core.maxBodyBytes);
  const refusal = checkCaller(core, url.searchParams);
  if (refusal) {
    sendJson(res, 200, refusal, !body.ok);
    return;
  }
  const command = url.pathname.slice(REST_PREFIX.length);
  const handler = REST_COMMANDS.get(command);
  if (!handler) {
    sendJson(res, 200, chatFailure(ErrorCodes.InvalidCommand, `unknown command ${url.pathname}`), !body.ok);
    return;
  }
  const refused = checkRate(core, command);
  if (refused) {
    sendJson(res, 200, refused, !body.ok);
    return;
  }
  if (!body.ok) {
    const info =
      body.reason === 'too-large'
        ? `the request body is over ${core.maxBodyBytes} bytes`
        : 'the request body is not UTF-8';
    sendJson(res, 200, chatFailure(ErrorCodes.JsonParse, info), true);
    return;
  }
  const json = parseJsonObject(body.text);
  if (!json) {
    sendJson(res, 200, chatFailure(ErrorCodes.JsonParse, 'the request body is not a JSON object'));
    return;
  }
  const identifier = url.searchParams.get('identifier')!;
  // The callbacks' operator is From_Account when the admin acts for a user, else the admin.
  const from = json.From_Account;
  const operator = typeof from === 'string' && from !== '' ? from : identifier;
  sendJson(
    res,
    200,
    runCommand(
      core,
      handler,
      { via: 'rest', operator, optPlatform: 'RESTAPI', clientIp: remoteAddressOf(req) },
      json,
    ),
  );
}

/**
 * Refuses (60007) a call over its API's limit in calls per second. Every call an authenticated
 * admin makes counts, well-formed or not, as the backend counts requests.
 */
function checkRate(core: EmulatorCore, command: string): ChatAnswer | null {
  const limit = core.config.rateLimits[command];
  if (limit === undefined || core.rateLimiter.take(command, limit, core.now())) return null;
  return chatFailure(
    ErrorCodes.RequestRateExceeded,
    `${command} was called more than ${limit} times per second: REST API request rate exceeded, call less often`,
  );
}

/**
 * Refuses a caller the real backend would: no `sdkappid` (60012), another app's (60006), no
 * `identifier` (60004), no `usersig` (60005), a UserSig that fails (700xx), an identifier that is
 * not an app admin (60010). `null` when the caller may go on.
 */
function checkCaller(core: EmulatorCore, params: URLSearchParams): ChatAnswer | null {
  const sdkAppId = params.get('sdkappid');
  if (!sdkAppId) return chatFailure(ErrorCodes.MissingSdkAppId, 'sdkappid is missing from the URL');
  if (sdkAppId !== core.sdkAppId) {
    return chatFailure(ErrorCodes.InvalidSdkAppId, `sdkappid ${sdkAppId} is not this app's SDKAppID`);
  }
  const identifier = params.get('identifier');
  if (!identifier) return chatFailure(ErrorCodes.BadAccount, 'identifier is missing from the URL');
  const userSig = params.get('usersig');
  if (!userSig) return chatFailure(ErrorCodes.BadSig, 'usersig is missing from the URL');
  const check = core.userSigs.verify(userSig, identifier, core.now());
  if (!check.ok) return chatFailure(check.code, check.reason);
  if (!core.config.admins.includes(identifier)) {
    return chatFailure(ErrorCodes.NotAdmin, `${identifier} is not an app admin: the REST API needs one`);
  }
  return null;
}
