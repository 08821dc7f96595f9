/** The OpenAPI 3.1 description served at `GET /api/openapi.json`. */
export function buildOpenApi(callbackPath: string): Record<string, unknown> {
  const seq = { type: 'integer', minimum: 0 };
  const cursor = (name: string, what: string) => ({ name, in: 'query', schema: seq, description: what });
  const filters = [
    { name: 'groupId', in: 'query', schema: { type: 'string' }, description: 'The group, or a community.' },
    { name: 'topicId', in: 'query', schema: { type: 'string' } },
    {
      name: 'command',
      in: 'query',
      schema: { type: 'string' },
      description: 'e.g. Group.CallbackAfterGroupInfoChanged',
    },
    { name: 'operator', in: 'query', schema: { type: 'string' }, description: 'Operator_Account' },
    { name: 'kind', in: 'query', schema: { enum: ['group', 'topic'] } },
    { name: 'optPlatform', in: 'query', schema: { type: 'string' } },
    { name: 'since', in: 'query', schema: { type: 'string' }, description: 'receivedAt ≥, ms or ISO 8601' },
    { name: 'until', in: 'query', schema: { type: 'string' }, description: 'receivedAt ≤, ms or ISO 8601' },
    {
      name: 'field',
      in: 'query',
      schema: { type: 'string' },
      description: 'Only changes that carried this field: Name, customFields.Level, or customFields for any',
    },
    {
      name: 'search',
      in: 'query',
      schema: { type: 'string' },
      description: 'Text in the group’s or topic’s id or current name, any case',
    },
  ];
  const paging = [
    cursor('after', 'Oldest first: events with seq > after.'),
    cursor('before', 'Newest first: events with seq < before.'),
    { name: 'order', in: 'query', schema: { enum: ['asc', 'desc'] } },
    { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
  ];
  const id = (name: string) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
    description: 'URL-encoded (ids hold @ and #).',
  });
  const page = { $ref: '#/components/schemas/EventPage' };
  const ok = (schema: unknown, description = 'OK') => ({
    200: { description, content: { 'application/json': { schema } } },
    400: { $ref: '#/components/responses/Error' },
    401: { $ref: '#/components/responses/Error' },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'timhook recorder API',
      version: '1',
      description: `Read the change log of group and topic profiles. Callbacks arrive at POST ${callbackPath}.`,
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Diff: {
          type: 'object',
          properties: {
            field: { type: 'string' },
            from: { type: ['string', 'null'] },
            to: { type: 'string' },
          },
        },
        RecordedEvent: {
          type: 'object',
          properties: {
            seq: seq,
            receivedAt: { type: 'integer' },
            eventTime: { type: ['integer', 'null'] },
            command: { type: 'string' },
            kind: { enum: ['group', 'topic'] },
            sdkAppId: { type: 'string' },
            groupId: { type: ['string', 'null'] },
            topicId: { type: ['string', 'null'], description: 'null for a topic change that named no topic' },
            groupType: { type: ['string', 'null'] },
            operator: { type: ['string', 'null'] },
            optPlatform: { type: ['string', 'null'] },
            clientIp: { type: ['string', 'null'] },
            changes: { type: 'object' },
            diff: { type: 'array', items: { $ref: '#/components/schemas/Diff' } },
            superseded: { type: 'array', items: { type: 'string' } },
            raw: { type: 'object', description: 'The original Tencent body' },
          },
        },
        EventPage: {
          type: 'object',
          description:
            'A page ends at `limit` events or at 1 MiB of events, whichever comes first, and holds at least one event',
          properties: {
            events: { type: 'array', items: { $ref: '#/components/schemas/RecordedEvent' } },
            next: {
              type: ['integer', 'null'],
              description: 'Pass as after (asc) or before (desc) for the next page',
            },
          },
        },
        Profile: {
          type: 'object',
          description: 'Current values (profile), provenance per field (fields), lifecycle.',
        },
        Error: {
          type: 'object',
          properties: {
            error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
          },
        },
      },
      responses: {
        Error: {
          description: 'Error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/api/events': {
        get: { summary: 'The change log', parameters: [...paging, ...filters], responses: ok(page) },
      },
      '/api/groups': {
        get: {
          summary: 'Groups, most recently changed first',
          parameters: [cursor('before', 'lastSeq cursor'), paging[3]],
          responses: ok({ type: 'object' }),
        },
      },
      '/api/groups/{groupId}': {
        get: {
          summary: 'A group’s current profile, and its topics',
          parameters: [id('groupId')],
          responses: ok({ $ref: '#/components/schemas/Profile' }),
        },
      },
      '/api/groups/{groupId}/history': {
        get: {
          summary: 'Every change of a group (and of a community’s topics), newest first',
          parameters: [id('groupId'), ...paging, ...filters.slice(2)],
          responses: ok(page),
        },
      },
      '/api/groups/{groupId}/topics': {
        get: {
          summary: 'A community’s topics',
          parameters: [id('groupId')],
          responses: ok({ type: 'object' }),
        },
      },
      '/api/topics/{topicId}': {
        get: {
          summary: 'A topic’s current profile',
          parameters: [id('topicId')],
          responses: ok({ $ref: '#/components/schemas/Profile' }),
        },
      },
      '/api/topics/{topicId}/history': {
        get: {
          summary: 'Every change of a topic, newest first',
          parameters: [id('topicId'), ...paging],
          responses: ok(page),
        },
      },
      '/api/stream': {
        get: {
          summary: 'Live changes as Server-Sent Events; id is the seq; resumes from Last-Event-ID or ?after=',
          parameters: [cursor('after', 'Replay from here, then go live'), ...filters],
          responses: { 200: { description: 'text/event-stream of `event: change` frames' } },
        },
      },
      '/api/reconcile': {
        get: {
          summary:
            'The running reconciliation pass, else the last one: `{ configured, running, pass }` (README "Complete profiles")',
          responses: ok({ type: 'object' }),
        },
        post: {
          summary:
            'Start a reconciliation pass against the REST API, or resume the unfinished one (202); 409 without REST settings',
          responses: { 202: { description: '`{ started, pass }`' } },
        },
      },
      '/api/relay': {
        get: {
          summary:
            'Every relay sink: cursor, lag (events, seconds), dead letters, last error (docs/relay.md)',
          responses: ok({ type: 'object' }),
        },
      },
      '/api/relay/{sink}': {
        get: {
          summary: 'One sink, with its first 100 dead letters (`letters`)',
          parameters: [id('sink')],
          responses: ok({ type: 'object' }),
        },
      },
      '/api/relay/{sink}/dead-letters': {
        get: {
          summary: 'A sink’s dead letters, oldest first',
          parameters: [id('sink'), paging[0], paging[3]],
          responses: ok({ type: 'object' }),
        },
      },
      '/api/relay/{sink}/replay': {
        post: {
          summary: 'Deliver again from a seq (`{"from": SEQ}`) or a time (`{"since": ms | ISO 8601}`)',
          parameters: [id('sink')],
          responses: ok({ type: 'object' }),
        },
      },
      '/api/relay/{sink}/redrive': {
        post: {
          summary: 'Deliver the sink’s dead letters again',
          parameters: [id('sink')],
          responses: ok({ type: 'object' }),
        },
      },
      '/api/relay/{sink}/enable': {
        post: {
          summary: 'Enable a sink that disabled itself (HTTP 410)',
          parameters: [id('sink')],
          responses: ok({ type: 'object' }),
        },
      },
      '/api/export': {
        get: {
          summary: 'The filtered history as a download: CSV (one row per changed field) or JSON lines',
          parameters: [
            { name: 'format', in: 'query', schema: { enum: ['csv', 'jsonl'], default: 'csv' } },
            ...filters,
          ],
          responses: { 200: { description: 'text/csv or application/x-ndjson attachment' } },
        },
      },
      '/api/stats/rate': {
        get: {
          summary: 'Recorded (from the log) and refused callbacks per time bucket, every bucket listed',
          parameters: [
            {
              name: 'since',
              in: 'query',
              schema: { type: 'string' },
              description: 'Default: 60 buckets before until',
            },
            {
              name: 'until',
              in: 'query',
              schema: { type: 'string' },
              description: 'Default: the end of the current bucket',
            },
            {
              name: 'bucket',
              in: 'query',
              schema: { type: 'integer', minimum: 1000, maximum: 86400000, default: 60000 },
            },
          ],
          responses: ok({ type: 'object' }),
        },
      },
      '/api/refusals': {
        get: {
          summary: 'Recently refused callbacks, newest first (no secrets)',
          responses: ok({ type: 'object' }),
        },
      },
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { 200: { description: 'up' } } } },
      '/readyz': {
        get: {
          summary: 'Readiness',
          security: [],
          responses: {
            200: { description: 'ready' },
            503: { description: 'stopping, or the log cannot be read or written (its `fault` says why)' },
          },
        },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text' } } } },
    },
  };
}
