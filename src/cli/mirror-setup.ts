import { createRestClient, isRestRegion } from '../rest/index.js';
import { createRestSource, type MirrorSetup } from '../server/index.js';
import type { RestSettings } from './rest-settings.js';

/** The recorder's mirror over a REST client made from the settings; the client closes with it. */
export function createMirrorSetup(
  rest: RestSettings,
  sdkAppId: string,
  extra: Omit<MirrorSetup, 'source' | 'restCounts' | 'close'> = {},
): MirrorSetup {
  const client = createRestClient({
    sdkAppId,
    identifier: rest.admin,
    secretKey: rest.secretKey,
    ...(rest.region && isRestRegion(rest.region) ? { region: rest.region } : {}),
    ...(rest.baseUrl ? { baseUrl: rest.baseUrl } : {}),
    rateLimits: rest.rateLimits,
  });
  return {
    ...extra,
    source: createRestSource(client),
    restCounts: () => client.metrics(),
    close: () => client.close(),
  };
}
