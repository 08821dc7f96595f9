import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, sendJson } from '../http.js';
import type { Mirror } from './create-mirror.js';
import type { PassState } from './pass-state.js';

/** The path of the reconciliation API. */
export const RECONCILE_PATH = '/api/reconcile';

/**
 * `GET /api/reconcile`: `{ configured, running, pass }`, the running pass or the last one.
 * `POST /api/reconcile`: starts a pass unless one runs (202, `{ started, pass }`); 409 when the
 * recorder has no REST settings. The caller has already checked API auth.
 */
export async function serveReconcile(
  mirror: Mirror | null,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method === 'POST') {
    if (!mirror) {
      throw new ApiError(
        409,
        'no_rest_settings',
        'reconciliation needs the REST API: start the recorder with --rest-admin, --rest-secret-key and --rest-region or --rest-url',
      );
    }
    const before = await mirror.status();
    const { state, done } = mirror.reconcile('api', true);
    // A pass just asked for is named once it has read (or resumed) its stored state.
    const named = before.running ? state : await firstProgress(mirror, done);
    sendJson(res, 202, { started: !before.running, pass: named });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new ApiError(405, 'method_not_allowed', 'use GET or POST');
  }
  if (!mirror) {
    sendJson(res, 200, { configured: false, running: false, pass: null });
    return;
  }
  sendJson(res, 200, { configured: true, ...(await mirror.status()) });
}

/** The first progress a new pass reports (it reports at once), or its end. */
function firstProgress(mirror: Mirror, done: Promise<PassState>): Promise<PassState> {
  return new Promise((resolve, reject) => {
    const off = mirror.onProgress((state) => {
      off();
      resolve(state);
    });
    done.then(resolve, reject).finally(off);
  });
}
