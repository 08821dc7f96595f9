import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Relay, RelayControlError, type ReplayTarget } from '../../relay/index.js';
import { readLimit, readSeq } from '../api-params.js';
import { ApiError, sendJson } from '../http.js';

const SINK_ROUTE = /^\/api\/relay\/([^/]+)(?:\/(replay|redrive|enable|dead-letters))?$/;
const MAX_BODY = 4096;

/**
 * The relay's part of the JSON API: `GET /api/relay`, `GET /api/relay/{sink}`,
 * `GET /api/relay/{sink}/dead-letters`, and the operator actions `POST /api/relay/{sink}/replay`
 * (`{"from": SEQ}` or `{"since": ms | ISO 8601}`), `…/redrive` and `…/enable`. Returns false when
 * `path` is not one of its routes. The caller has already checked the Host, API auth, and that a
 * write comes from no other site.
 */
export async function serveRelay(
  relay: Relay | null,
  req: IncomingMessage,
  path: string,
  params: URLSearchParams,
  res: ServerResponse,
): Promise<boolean> {
  if (path === '/api/relay') {
    requireMethod(req, 'GET');
    sendJson(res, 200, { sinks: relay ? await relay.status() : [] });
    return true;
  }
  const match = SINK_ROUTE.exec(path);
  if (!match) return false;
  const sink = decodeSink(match[1]!);
  const action = match[2];
  if (!relay) throw new ApiError(404, 'unknown_sink', 'this recorder has no sinks configured');
  try {
    if (action === undefined) {
      requireMethod(req, 'GET');
      const status = (await relay.status()).find((s) => s.sink === sink);
      if (!status) throw new RelayControlError('unknown_sink', `no sink named ${JSON.stringify(sink)}`);
      // The first dead letters, oldest first; `…/dead-letters` pages through all of them.
      const letters = await relay.deadLetters(sink, { limit: 100 });
      sendJson(res, 200, { ...status, letters });
    } else if (action === 'dead-letters') {
      requireMethod(req, 'GET');
      const limit = readLimit(params);
      const after = readSeq(params, 'after');
      const letters = await relay.deadLetters(sink, {
        limit: limit + 1,
        ...(after !== undefined ? { after } : {}),
      });
      const more = letters.length > limit;
      const page = more ? letters.slice(0, limit) : letters;
      sendJson(res, 200, { deadLetters: page, next: more ? page[page.length - 1]!.seq : null });
    } else {
      requireMethod(req, 'POST');
      const body = await readJsonBody(req);
      if (action === 'replay') sendJson(res, 200, await relay.replay(sink, readReplayTarget(body)));
      else if (action === 'redrive') sendJson(res, 200, { sink, redriven: await relay.redrive(sink) });
      else sendJson(res, 200, await relay.enable(sink));
    }
  } catch (error) {
    if (error instanceof RelayControlError) throw new ApiError(error.status, error.code, error.message);
    throw error;
  }
  return true;
}

function requireMethod(req: IncomingMessage, method: 'GET' | 'POST'): void {
  const given = req.method === 'HEAD' ? 'GET' : req.method;
  if (given !== method) throw new ApiError(405, 'method_not_allowed', `use ${method} on this route`);
}

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > MAX_BODY)
      throw new ApiError(413, 'body_too_large', `the body is over ${MAX_BODY} bytes`);
  }
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'bad_json', 'the body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ApiError(400, 'bad_json', 'the body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function readReplayTarget(body: Record<string, unknown>): ReplayTarget {
  const { from, since } = body;
  if ((from === undefined) === (since === undefined)) {
    throw new ApiError(400, 'bad_parameter', 'give "from" (a seq) or "since" (ms or ISO 8601), not both');
  }
  if (from !== undefined) {
    if (typeof from !== 'number' || !Number.isSafeInteger(from) || from < 1) {
      throw new ApiError(400, 'bad_parameter', '"from" must be a seq, 1 or more');
    }
    return { from };
  }
  const ms = typeof since === 'number' ? since : typeof since === 'string' ? Date.parse(since) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new ApiError(
      400,
      'bad_parameter',
      '"since" must be milliseconds since the epoch or an ISO 8601 date',
    );
  }
  return { since: ms };
}

function decodeSink(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new ApiError(400, 'bad_id', 'the sink name in the path is not valid URL encoding');
  }
}
