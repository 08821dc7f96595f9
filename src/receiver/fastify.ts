import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Receiver } from './create-receiver.js';
import { toNodeHandler } from './node.js';

/** Where {@link toFastifyRoute} mounts the receiver. */
export interface FastifyRouteOptions {
  /** The callback path. Default `'/callback'`. */
  url?: string;
}

type Method = 'DELETE' | 'GET' | 'HEAD' | 'PATCH' | 'POST' | 'PUT' | 'OPTIONS';

/**
 * The route {@link toFastifyRoute} makes, typed by its shape alone so that neither this package
 * nor its type declarations need Fastify; it is assignable to Fastify's `RouteOptions`.
 */
export interface FastifyRoute {
  method: Method[];
  url: string;
  onRequest: (
    request: { raw: IncomingMessage },
    reply: { raw: ServerResponse; hijack(): unknown },
    done: () => void,
  ) => void;
  handler: () => void;
}

// Every method, so a GET gets the envelope's 405 rather than Fastify's 404.
const METHODS: Method[] = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'];

/**
 * A Fastify route for a receiver. Its `onRequest` hook hijacks the reply and hands the raw Node
 * request and response to {@link toNodeHandler}, so Fastify's body parsers, content-type checks,
 * body limit and error format never touch a callback: the body may come with no `Content-Type`
 * (docs/protocol.md §1), and every answer is the Chat envelope. Nothing of Fastify is imported, not even
 * its types.
 *
 * @example
 * const app = Fastify();
 * app.route(toFastifyRoute(receiver, { url: '/callback' }));
 */
export function toFastifyRoute(receiver: Receiver, options: FastifyRouteOptions = {}): FastifyRoute {
  const { url = '/callback' } = options;
  const handle = toNodeHandler(receiver);
  return {
    method: [...METHODS],
    url,
    onRequest: function timhookFastifyOnRequest(request, reply, done) {
      reply.hijack();
      handle(request.raw, reply.raw);
      done();
    },
    // Never reached: the reply is hijacked before Fastify reads the body.
    handler: function timhookFastifyHandler() {},
  };
}
