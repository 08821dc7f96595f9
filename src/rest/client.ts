import { RestError } from './errors.js';
import type { RestClientOptions } from './options.js';
import { BadAnswer, readGroupIdPage, readGroupInfo, readTopics } from './parse-answers.js';
import { cursorOf, groupInfoBody, groupListBody, topicBody } from './request-bodies.js';
import { createTransport, type Transport } from './transport.js';
import {
  type GroupIdPage,
  type GroupIdPageRequest,
  type GroupInfoRequest,
  type GroupInfoResult,
  RestApis,
  type RestMetrics,
  type TopicInfoResult,
  type TopicRequest,
} from './types.js';

/** A typed client of the Chat REST API, calling as one app admin. */
export interface RestClient {
  /** The base URL calls go to (`https://<domain>` or the given one). */
  readonly baseUrl: string;
  /** One page of the app's group ids (`group_open_http_svc/get_appid_group_list`). */
  getAppidGroupList(request?: GroupIdPageRequest): Promise<GroupIdPage>;
  /** Every page of group ids from `request.next` on, until the backend answers `Next: 0`. */
  iterateGroupIds(request?: GroupIdPageRequest): AsyncGenerator<GroupIdPage, void, undefined>;
  /** Profiles of 1 to 50 groups (`group_open_http_svc/get_group_info`), in the order asked. */
  getGroupInfo(groupIds: readonly string[], request?: GroupInfoRequest): Promise<GroupInfoResult[]>;
  /** A community's topics with their profiles (`million_group_open_http_svc/get_topic`). */
  getTopic(groupId: string, request?: TopicRequest): Promise<TopicInfoResult[]>;
  /**
   * Any REST command with a JSON body; resolves to the whole answer when it is `OK`. It is retried
   * like the reads after a timeout or a lost connection, when the backend may already have acted:
   * give it commands that are safe to repeat.
   */
  call(api: string, body: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>>;
  /** Calls by API and outcome, and rate-limit waits, since the client was made. */
  metrics(): RestMetrics;
  /** Ends pending calls with an error and closes the connections the client opened. */
  close(): Promise<void>;
}

/**
 * Makes a {@link RestClient}. Each call waits for its API's rate limit (the documented maximum by
 * default), is retried with exponential backoff and full jitter on network errors, timeouts and
 * busy codes, and after a wait on over-limit codes. A fatal code (wrong secret key, identifier not
 * an admin, wrong region) throws a fatal {@link RestError} at once, never retried. Bad input (more
 * than 50 ids, a bad cursor) throws a `[timhook]` TypeError before anything is sent.
 *
 * @example
 * const rest = createRestClient({ sdkAppId, identifier: 'administrator', secretKey, region: 'sgp' });
 * for await (const page of rest.iterateGroupIds()) console.log(page.groupIds);
 */
export function createRestClient(options: RestClientOptions): RestClient {
  const transport = createTransport(options);
  const client: RestClient = {
    baseUrl: transport.baseUrl,
    getAppidGroupList: function getAppidGroupList(request = {}) {
      return callTyped(transport, RestApis.getAppidGroupList, groupListBody(request), readGroupIdPage);
    },
    iterateGroupIds: async function* iterateGroupIds(request = {}) {
      let next = cursorOf(request.next);
      for (;;) {
        const page = await client.getAppidGroupList({ ...request, next });
        yield page;
        if (page.next === '0') return;
        next = page.next;
      }
    },
    getGroupInfo: function getGroupInfo(groupIds, request = {}) {
      return callTyped(transport, RestApis.getGroupInfo, groupInfoBody(groupIds, request), readGroupInfo);
    },
    getTopic: function getTopic(groupId, request = {}) {
      return callTyped(transport, RestApis.getTopic, topicBody(groupId, request), readTopics);
    },
    call: function call(api, body) {
      if (!/^[a-z0-9_]+\/[a-z0-9_]+$/.test(api)) {
        throw new TypeError(`[timhook] ${JSON.stringify(api)} is not a <service>/<command>`);
      }
      return transport.send(api, JSON.stringify(body));
    },
    metrics: () => transport.metrics(),
    close: () => transport.close(),
  };
  return client;
}

/** Sends a call and reads its answer; an answer not of the documented shape is a RestError. */
async function callTyped<T>(
  transport: Transport,
  api: string,
  body: string,
  read: (answer: Record<string, unknown>) => T,
): Promise<T> {
  const answer = await transport.send(api, body);
  try {
    return read(answer);
  } catch (error) {
    if (!(error instanceof BadAnswer)) throw error;
    throw new RestError(
      { kind: 'answer', api, errorCode: 0, errorInfo: error.message, attempts: 1 },
      `${api}: the answer is not of the documented shape: ${error.message}`,
    );
  }
}
