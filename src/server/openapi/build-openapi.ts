import { z } from 'zod';
import { apiComponents } from './answers.js';
import { API_ROUTES, type ApiRoute, callbackRoute, type RouteAnswer } from './api-routes.js';

type JsonSchema = Record<string, unknown>;

/** OpenAPI 3.1 schema objects are JSON Schema 2020-12, zod's default target. */
const TARGET = 'draft-2020-12';

const PATH_PARAMS: Record<string, string> = {
  groupId: 'The group, URL-encoded (ids hold @ and #)',
  topicId: 'The topic, URL-encoded (ids hold @ and #)',
  sink: 'The sink’s name, URL-encoded',
};

/** A schema without the keywords that only a root document carries. */
function bare(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

/** Every registered answer schema, as components whose references point at each other. */
function buildComponents(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(apiComponents, {
    target: TARGET,
    io: 'output',
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, bare(schema as JsonSchema)]));
}

/** A request's part (query values, a body) as the client sends it. */
function inputSchema(schema: z.ZodType): JsonSchema {
  return bare(z.toJSONSchema(schema, { target: TARGET, io: 'input' }) as JsonSchema);
}

function componentRef(schema: z.ZodType): JsonSchema {
  const id = apiComponents.get(schema)?.id;
  if (id === undefined) throw new TypeError('[timhook] an answer schema is not registered in apiComponents');
  return { $ref: `#/components/schemas/${id}` };
}

function buildParameters(route: ApiRoute): JsonSchema[] {
  const inPath = [...route.path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
    description: PATH_PARAMS[name!] ?? name,
  }));
  const inQuery = Object.entries(route.query?.shape ?? {}).map(([name, field]) => {
    const { description, ...schema } = inputSchema(field as z.ZodType);
    return {
      name,
      in: 'query',
      required: !(field as z.ZodType).safeParse(undefined).success,
      schema,
      ...(description !== undefined ? { description } : {}),
    };
  });
  return [...inPath, ...inQuery];
}

function buildAnswer(answer: RouteAnswer): JsonSchema {
  if ('json' in answer) {
    return {
      description: answer.description,
      content: { 'application/json': { schema: componentRef(answer.json) } },
    };
  }
  const content = Object.fromEntries(
    Object.entries(answer.text).map(([type, description]) => [
      type,
      { schema: { type: 'string', description } },
    ]),
  );
  return { description: answer.description, content };
}

/** Refusals every route behind the API token can answer. */
const GUARDED: Record<string, JsonSchema> = {
  401: { $ref: '#/components/responses/Unauthorized' },
  403: { $ref: '#/components/responses/Forbidden' },
  default: { $ref: '#/components/responses/Error' },
};

function buildOperation(route: ApiRoute): JsonSchema {
  const parameters = buildParameters(route);
  const responses: Record<string, JsonSchema> = Object.fromEntries(
    Object.entries(route.answers).map(([status, answer]) => [status, buildAnswer(answer)]),
  );
  return {
    summary: route.summary,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: inputSchema(route.body) } },
          },
        }
      : {}),
    responses: route.open ? responses : { ...responses, ...GUARDED },
    ...(route.open ? { security: [] } : {}),
  };
}

function buildPaths(routes: readonly ApiRoute[]): Record<string, Record<string, JsonSchema>> {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method] = buildOperation(route);
  return paths;
}

const errorAnswer = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/**
 * The OpenAPI 3.1 description served at `GET /api/openapi.json`, generated from the route table
 * (`api-routes.ts`) and the answers' zod schemas (`answers.ts`). A method a path does not list
 * is answered 405 in the `Error` shape.
 */
export function buildOpenApi(callbackPath: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'timhook recorder API',
      version: '1',
      description: `Read the change log of group and topic profiles. Callbacks arrive at POST ${callbackPath}. A method a path does not list is answered 405 with an Error.`,
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: buildComponents(),
      responses: {
        Unauthorized: errorAnswer('No API token, or a wrong one (`unauthorized`)'),
        Forbidden: errorAnswer(
          'Not from this machine without an API token (`loopback_only`), a Host that does not name the service (`foreign_host`), or a write from another site (`cross_site`)',
        ),
        Error: errorAnswer('Any other refusal or failure, e.g. 500 `internal`'),
      },
    },
    security: [{ bearer: [] }],
    paths: buildPaths([...API_ROUTES, callbackRoute(callbackPath)]),
  };
}
