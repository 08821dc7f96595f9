import { createRequire } from 'node:module';
import { type Spawned, spawnCli } from '../cli/support.js';

// The official UserSig generator, as a real app backend uses it (docs/protocol.md §4).
const { Api } = createRequire(import.meta.url)('tls-sig-api-v2') as {
  Api: new (sdkAppId: number, key: string) => { genUserSig(userId: string, expireSeconds: number): string };
};

export const SDK_APP_ID = 1400000777;
export const SECRET_KEY = 'mirror-e2e-secret-key-of-this-app';
export const TOKEN = 'mirror-e2e-callback-token';
export const ADMIN = 'administrator';
export const CUSTOM_KEYS = ['Level', 'Tier', 'Region'];

/** A Chat REST caller, as the app's own backend would be. */
export interface RestCaller {
  call(api: string, body: unknown, path?: string): Promise<Record<string, unknown>>;
}

/** Calls `url`'s REST API (or its silent face with `path`) as the app admin; fails on a FAIL answer. */
export function restCaller(url: string): RestCaller {
  const sig = new Api(SDK_APP_ID, SECRET_KEY).genUserSig(ADMIN, 86_400);
  let random = 0;
  return {
    async call(api, body, path) {
      const target = path
        ? `${url}${path}`
        : `${url}/v4/${api}?sdkappid=${SDK_APP_ID}&identifier=${ADMIN}&usersig=${encodeURIComponent(sig)}&random=${++random}&contenttype=json`;
      const response = await fetch(target, { method: 'POST', body: JSON.stringify(body) });
      const answer = (await response.json()) as Record<string, unknown>;
      if (answer.ActionStatus !== 'OK') throw new Error(`${api}: ${JSON.stringify(answer)}`);
      return answer;
    },
  };
}

/** Starts `timhook emulator` (a real process) and resolves with its URL. */
export async function startEmulatorProcess(): Promise<{ emulator: Spawned; url: string }> {
  const emulator = spawnCli([
    'emulator',
    '--port',
    '0',
    '--sdk-appid',
    String(SDK_APP_ID),
    '--secret-key',
    SECRET_KEY,
    '--admin',
    ADMIN,
    '--callback-token',
    TOKEN,
    '--quiet',
    ...CUSTOM_KEYS.flatMap((key) => ['--custom-field', key]),
  ]);
  const [, url] = await emulator.waitFor(/listening on (http:\/\/\S+)/);
  return { emulator, url: url! };
}

/** Changes the emulator's console settings. */
export async function configureEmulator(url: string, patch: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${url}/emulator/config`, { method: 'PUT', body: JSON.stringify(patch) });
  if (!response.ok) throw new Error(`PUT /emulator/config: ${response.status} ${await response.text()}`);
}

/** Waits until the emulator has no callback in flight. */
export async function waitForDeliveries(url: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/emulator/deliveries?limit=1`);
    const { pending } = (await response.json()) as { pending: number };
    if (pending === 0) return;
    if (Date.now() > until) throw new Error(`the emulator still has ${pending} callbacks in flight`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs `work` over `items`, `width` at a time. */
export async function inParallel<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** A field set of a profile for comparison: base fields, and custom fields with a non-empty value. */
export type FlatProfile = Record<string, string>;

/** A `get_group_info` entry as a flat profile. */
export function flattenGroupInfo(info: Record<string, unknown>): FlatProfile {
  const out: FlatProfile = {};
  for (const field of ['Name', 'Introduction', 'Notification', 'FaceUrl']) out[field] = String(info[field]);
  for (const { Key, Value } of (info.AppDefinedData ?? []) as Array<{ Key: string; Value: string }>) {
    if (Value !== '') out[`customFields.${Key}`] = Value;
  }
  return out;
}

/** A `get_topic` entry as a flat profile. */
export function flattenTopicInfo(info: Record<string, unknown>): FlatProfile {
  return {
    Name: String(info.TopicName),
    Introduction: String(info.Introduction),
    Notification: String(info.Notification),
    FaceUrl: String(info.FaceUrl),
  };
}

/** The recorder's profile (`GET /api/groups/{id}` or `/api/topics/{id}`) as a flat profile. */
export function flattenRecorded(
  view: { fields: Record<string, { value: string }> },
  custom: boolean,
): FlatProfile {
  const out: FlatProfile = {};
  for (const [field, state] of Object.entries(view.fields)) {
    if (field.startsWith('customFields.')) {
      if (custom && state.value !== '') out[field] = state.value;
    } else {
      out[field] = state.value;
    }
  }
  return out;
}
