import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Answer } from './support.js';

/** The parts of an OpenAPI 3.1 document the checker reads. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
}

/** One request a test made, and what came back. */
export interface Exchange {
  method: string;
  /** The path and query string, as sent. */
  url: string;
  /** The JSON body sent, if any. */
  body?: unknown;
  answer: Answer;
}

/** Where an exchange landed in the document: the operation and the response key it was checked against. */
export interface Landing {
  method: string;
  path: string;
  /** `200`, `4XX` or `default`; null when the document has none for the answer. */
  response: string | null;
}

/** What the checker found about one exchange. */
export interface Verdict {
  landing: Landing | null;
  problems: string[];
}

const DOC_ID = 'timhook:openapi';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** A JSON pointer as a URI fragment. */
function pointer(...segments: string[]): string {
  return `${DOC_ID}#/${segments.map((s) => encodeURIComponent(s.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/')}`;
}

/** Matches a concrete path to its template: `{name}` stands for one encoded segment. */
function templateRegex(template: string): RegExp {
  const parts = template.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[^/]+')}$`);
}

/** The media type of a `content-type` header, lower case, without parameters. */
export function mediaType(header: string | null): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Checks real answers against an OpenAPI 3.1 document with a JSON Schema 2020-12 validator: the
 * route and method are in it, the status is one it lists, the content type is one it lists for that
 * status, and the body is valid against that content's schema. Query parameters sent must be
 * declared, and a JSON request body that was accepted must be valid against the declared one.
 */
export function createDocumentChecker(doc: OpenApiDocument) {
  // The document is not itself a JSON Schema: only its schema objects are compiled, by pointer.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, validateFormats: false });
  ajv.addSchema(doc, DOC_ID);
  const templates = Object.keys(doc.paths).map((path) => ({ path, regex: templateRegex(path) }));

  function resolve<T>(value: T): T {
    const ref = (value as { $ref?: unknown } | undefined)?.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#/')) return value;
    let target: unknown = doc;
    for (const segment of ref.slice(2).split('/')) {
      target = (target as Record<string, unknown> | undefined)?.[
        segment.replaceAll('~1', '/').replaceAll('~0', '~')
      ];
    }
    return resolve(target as T);
  }

  function validate(schemaPointer: string, value: unknown): string[] {
    const validator = ajv.getSchema(schemaPointer);
    if (!validator) return [`no schema at ${schemaPointer}`];
    if (validator(value)) return [];
    return (validator.errors ?? []).map(
      (e) => `${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
    );
  }

  /** The schema pointer of a component the checker needs for bodies that are not one JSON value. */
  function componentSchema(name: string): string {
    return pointer('components', 'schemas', name);
  }

  function findPath(url: string): string | undefined {
    const pathname = url.split('?')[0]!;
    return templates.find((t) => t.regex.test(pathname))?.path;
  }

  function checkQuery(
    operation: Record<string, unknown>,
    pathItem: Record<string, unknown>,
    url: string,
  ): string[] {
    const at = url.indexOf('?');
    if (at < 0) return [];
    const declared = new Set(
      [...((pathItem.parameters as unknown[]) ?? []), ...((operation.parameters as unknown[]) ?? [])]
        .map((p) => resolve(p) as { name: string; in: string })
        .filter((p) => p.in === 'query')
        .map((p) => p.name),
    );
    return [...new URLSearchParams(url.slice(at + 1)).keys()]
      .filter((name) => !declared.has(name))
      .map((name) => `query parameter ${name} is not declared`);
  }

  function checkRequestBody(
    method: string,
    path: string,
    operation: Record<string, unknown>,
    exchange: Exchange,
  ): string[] {
    if (exchange.body === undefined || exchange.answer.status >= 300) return [];
    const requestBody = resolve(operation.requestBody) as { content?: Record<string, unknown> } | undefined;
    if (!requestBody?.content?.['application/json']) return ['the JSON request body is not declared'];
    return validate(
      pointer('paths', path, method, 'requestBody', 'content', 'application/json', 'schema'),
      exchange.body,
    ).map((problem) => `request body: ${problem}`);
  }

  function checkAnswerBody(
    responsePointer: string[],
    response: { content?: Record<string, { schema?: unknown }> },
    answer: Answer,
  ): string[] {
    const type = mediaType(answer.headers.get('content-type'));
    if (!response.content)
      return answer.text === '' ? [] : [`answers ${type} but the document describes no content`];
    const content = response.content[type];
    if (!content) return [`answers ${type}; the document lists ${Object.keys(response.content).join(', ')}`];
    if (!content.schema) return [`no schema for ${type}`];
    // A $ref'd response is checked where it is defined.
    const at = [...responsePointer, 'content', type, 'schema'];
    const value = type === 'application/json' ? answer.json : answer.text;
    return validate(pointer(...at), value);
  }

  return {
    doc,
    componentSchema,
    /** Validates `value` against `#/components/schemas/{name}`. */
    validateComponent(name: string, value: unknown): string[] {
      return validate(componentSchema(name), value);
    },
    /** The operations of the document as `METHOD path`. */
    operations(): string[] {
      return Object.entries(doc.paths).flatMap(([path, item]) =>
        METHODS.filter((m) => item[m] !== undefined).map((m) => `${m.toUpperCase()} ${path}`),
      );
    },
    /** The response keys of one operation. */
    responses(method: string, path: string): string[] {
      const operation = doc.paths[path]?.[method.toLowerCase()] as
        { responses?: Record<string, unknown> } | undefined;
      return Object.keys(operation?.responses ?? {});
    },
    check(exchange: Exchange): Verdict {
      const method = exchange.method.toLowerCase();
      const path = findPath(exchange.url);
      if (path === undefined) return { landing: null, problems: ['no path of the document matches'] };
      const pathItem = doc.paths[path]!;
      const operation = pathItem[method] as Record<string, unknown> | undefined;
      const { status } = exchange.answer;
      if (!operation) {
        // A method the path does not have: the server must refuse it, in the API's error shape.
        if (status !== 405)
          return { landing: null, problems: [`no ${method.toUpperCase()} operation, yet ${status}`] };
        return {
          landing: { method: exchange.method, path, response: null },
          problems: validate(componentSchema('Error'), exchange.answer.json),
        };
      }
      const responses = (operation.responses ?? {}) as Record<string, unknown>;
      const key = [String(status), `${String(status)[0]}XX`, 'default'].find(
        (k) => responses[k] !== undefined,
      );
      const problems = [
        ...checkQuery(operation, pathItem, exchange.url),
        ...checkRequestBody(method, path, operation, exchange),
      ];
      if (key === undefined) {
        return {
          landing: { method: exchange.method, path, response: null },
          problems: [...problems, `status ${status} is not documented`],
        };
      }
      let responsePointer = ['paths', path, method, 'responses', key];
      const raw = responses[key] as { $ref?: string };
      if (typeof raw.$ref === 'string') {
        responsePointer = raw.$ref
          .slice(2)
          .split('/')
          .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
      }
      const response = resolve(raw) as { content?: Record<string, { schema?: unknown }> };
      problems.push(...checkAnswerBody(responsePointer, response, exchange.answer));
      return { landing: { method: exchange.method, path, response: key }, problems };
    },
  };
}

/** A checker of one document. */
export type DocumentChecker = ReturnType<typeof createDocumentChecker>;
