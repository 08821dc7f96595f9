import type { z } from 'zod';
import * as answers from './answers.js';
import * as params from './params.js';

/** One answer of a route: JSON of a schema, or text of the given media types. */
export type RouteAnswer =
  { description: string; json: z.ZodType } | { description: string; text: Record<string, string> };

/** One operation of the recorder's HTTP surface, as the OpenAPI document describes it. */
export interface ApiRoute {
  method: 'get' | 'post';
  /** With `{name}` for a URL-encoded path segment. */
  path: string;
  summary: string;
  query?: z.ZodObject;
  body?: z.ZodType;
  answers: Record<number, RouteAnswer>;
  /** Open to anyone: no API token, no host check (health probes, the callback's own Sign). */
  open?: boolean;
}

const json = (json: z.ZodType, description = 'OK'): RouteAnswer => ({ description, json });
const error = (description: string): RouteAnswer => ({ description, json: answers.ApiErrorSchema });
const badParameter = error('A parameter or the id in the path cannot be read (`bad_parameter`, `bad_id`)');
const unknownSink = error('No such sink (`unknown_sink`)');
const tooLarge = error('The body is over 4096 bytes');
const storeUnavailable = error(
  'The log could not first write what it writes behind the OK (a full disk): `store_unavailable`, retry',
);
const eventPaging = params.pagingParams.extend(params.filterParams.shape).extend(params.searchParams.shape);

/** Every operation of the JSON API, the health probes and the metrics. */
export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/api/events',
    summary: 'The change log',
    query: eventPaging,
    answers: { 200: json(answers.EventPageSchema), 400: badParameter, 503: storeUnavailable },
  },
  {
    method: 'get',
    path: '/api/groups',
    summary: 'Groups, most recently changed first',
    query: params.profilePageParams,
    answers: { 200: json(answers.GroupPageSchema), 400: badParameter, 503: storeUnavailable },
  },
  {
    method: 'get',
    path: '/api/groups/{groupId}',
    summary: 'A group’s current profile, and its topics',
    answers: {
      200: json(answers.GroupDetailSchema),
      400: badParameter,
      404: error('No such group has been recorded'),
      503: storeUnavailable,
    },
  },
  {
    method: 'get',
    path: '/api/groups/{groupId}/history',
    summary: 'Every change of a group (and of a community’s topics), newest first',
    query: eventPaging.omit({ groupId: true }),
    answers: { 200: json(answers.EventPageSchema), 400: badParameter, 503: storeUnavailable },
  },
  {
    method: 'get',
    path: '/api/groups/{groupId}/topics',
    summary: 'A community’s topics, most recently changed first',
    query: params.profilePageParams,
    answers: { 200: json(answers.TopicPageSchema), 400: badParameter, 503: storeUnavailable },
  },
  {
    method: 'get',
    path: '/api/topics/{topicId}',
    summary: 'A topic’s current profile',
    answers: {
      200: json(answers.TopicProfileSchema),
      400: badParameter,
      404: error('No such topic has been recorded'),
      503: storeUnavailable,
    },
  },
  {
    method: 'get',
    path: '/api/topics/{topicId}/history',
    summary: 'Every change of a topic, newest first',
    query: eventPaging.omit({ topicId: true }),
    answers: { 200: json(answers.EventPageSchema), 400: badParameter, 503: storeUnavailable },
  },
  {
    method: 'get',
    path: '/api/stream',
    summary: 'Live changes as Server-Sent Events; id is the seq; resumes from Last-Event-ID or ?after=',
    query: params.pagingParams.pick({ after: true, limit: true }).extend(params.filterParams.shape),
    answers: {
      200: {
        description: 'The stream',
        text: {
          'text/event-stream':
            '`event: change` frames whose data is a RecordedEvent, `event: reconcile` frames whose data is a ReconcilePass',
        },
      },
      400: badParameter,
    },
  },
  {
    method: 'get',
    path: '/api/refusals',
    summary: 'Recently refused callbacks, newest first (no secrets)',
    answers: { 200: json(answers.RefusalsSchema) },
  },
  {
    method: 'get',
    path: '/api/export',
    summary: 'The filtered history as a download: CSV (one row per changed field) or JSON lines',
    query: params.exportParams.extend(eventPaging.shape),
    answers: {
      200: {
        description: 'An attachment',
        text: {
          'text/csv': 'One row per changed field',
          'application/x-ndjson': 'One RecordedEvent per line',
        },
      },
      400: badParameter,
    },
  },
  {
    method: 'get',
    path: '/api/stats/rate',
    summary: 'Recorded (from the log) and refused callbacks per time bucket, every bucket listed',
    query: params.rateParams,
    answers: { 200: json(answers.RateSchema), 400: badParameter },
  },
  {
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This document',
    answers: { 200: json(answers.OpenApiDocumentSchema, 'OpenAPI 3.1') },
  },
  {
    method: 'get',
    path: '/api/reconcile',
    summary: 'The running reconciliation pass, else the last one (README "Complete profiles")',
    answers: { 200: json(answers.ReconcileStatusSchema) },
  },
  {
    method: 'post',
    path: '/api/reconcile',
    summary: 'Start a reconciliation pass against the REST API, or resume the unfinished one',
    answers: {
      202: json(answers.ReconcileStartedSchema, 'Started, or already running'),
      409: error('The recorder has no REST settings'),
    },
  },
  {
    method: 'get',
    path: '/api/relay',
    summary: 'Every relay sink: cursor, lag (events, seconds), dead letters, last error (docs/relay.md)',
    answers: { 200: json(answers.RelayStatusSchema) },
  },
  {
    method: 'get',
    path: '/api/relay/{sink}',
    summary: 'One sink, with its first 100 dead letters (`letters`)',
    answers: { 200: json(answers.SinkDetailSchema), 400: badParameter, 404: unknownSink },
  },
  {
    method: 'get',
    path: '/api/relay/{sink}/dead-letters',
    summary: 'A sink’s dead letters, oldest first',
    query: params.deadLetterParams,
    answers: { 200: json(answers.DeadLetterPageSchema), 400: badParameter, 404: unknownSink },
  },
  {
    method: 'post',
    path: '/api/relay/{sink}/replay',
    summary: 'Deliver again from a seq (`{"from": SEQ}`) or a time (`{"since": ms | ISO 8601}`)',
    body: params.replayBody,
    answers: {
      200: json(answers.SinkStatusSchema, 'The sink, as GET /api/relay/{sink} shows it'),
      400: error('The body is not a replay target'),
      404: unknownSink,
      413: tooLarge,
    },
  },
  {
    method: 'post',
    path: '/api/relay/{sink}/redrive',
    summary: 'Deliver the sink’s dead letters again',
    answers: {
      200: json(answers.RedrivenSchema),
      400: error('The body is not a JSON object'),
      404: unknownSink,
      413: tooLarge,
    },
  },
  {
    method: 'post',
    path: '/api/relay/{sink}/enable',
    summary: 'Enable a sink that disabled itself (HTTP 410)',
    answers: {
      200: json(answers.SinkStatusSchema, 'The sink, as GET /api/relay/{sink} shows it'),
      400: error('The body is not a JSON object'),
      404: unknownSink,
      413: tooLarge,
    },
  },
  {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    open: true,
    answers: { 200: json(answers.HealthSchema, 'Up') },
  },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness',
    open: true,
    answers: {
      200: json(answers.ReadySchema, 'Ready'),
      503: json(answers.NotReadySchema, 'Stopping, or the log cannot be read or written (`fault` says why)'),
    },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    answers: { 200: { description: 'Metrics', text: { 'text/plain': 'Prometheus text format 0.0.4' } } },
  },
];

const refusal = (description: string): RouteAnswer => json(answers.CallbackAnswerSchema, description);

/** The callback endpoint at `path`: answers in the Chat envelope (docs/protocol.md §1). */
export function callbackRoute(path: string): ApiRoute {
  return {
    method: 'post',
    path,
    summary: 'A Chat callback: verified, durably logged, then answered OK',
    open: true,
    query: params.callbackParams,
    body: params.callbackBody,
    answers: {
      200: refusal('Recorded (or a re-delivery of a recorded one): `ActionStatus: OK`'),
      400: refusal('A query or body that cannot be read'),
      401: refusal('Sign missing or wrong, or RequestTime out of the window'),
      403: refusal('Another SdkAppid'),
      413: refusal('The body is over the limit'),
      422: refusal('The body breaks its command’s schema'),
      503: refusal('Overloaded, or the log cannot write: not recorded, retry'),
    },
  };
}
