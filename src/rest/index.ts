/**
 * `timhook/rest`: a typed client of the Tencent Cloud Chat REST API for what a mirror of group and
 * topic profiles needs — the app's group ids, group profiles, a community's topics — calling as an
 * app admin with a TLSSigAPIv2 UserSig, per-API rate limits, retries with backoff, and typed errors.
 * Node only.
 */
export { createRestClient, type RestClient } from './client.js';
export { isFatalRestError, isRestError, RestCodes, RestError, type RestErrorKind } from './errors.js';
export type { RestClientOptions, RestRetryOptions } from './options.js';
export { createRateLimiter, type RateLimiter } from './rate-limiter.js';
export { isRestRegion, REST_REGIONS, type RestRegion, resolveRestBaseUrl } from './regions.js';
export {
  DEFAULT_OTHER_RATE_LIMIT,
  DEFAULT_RATE_LIMITS,
  type FoundGroup,
  type FoundTopic,
  GROUP_BASE_INFO_FIELDS,
  type GroupIdPage,
  type GroupIdPageRequest,
  type GroupInfoRequest,
  type GroupInfoResult,
  type MissingGroup,
  type MissingTopic,
  RestApis,
  type RestCallEvent,
  RestLimits,
  type RestMetrics,
  type RestOutcome,
  type RestRateLimitWait,
  type TopicInfoResult,
  type TopicRequest,
} from './types.js';
export {
  createUserSigCache,
  generateUserSig,
  type UserSigCache,
  type UserSigCacheOptions,
  type UserSigFields,
  type UserSigInput,
  userSigHmac,
} from './user-sig.js';
