import type { Receiver } from './create-receiver.js';

/** The part of a Hono `Context` the handler reads; Hono is not imported at run time. */
export interface HonoContextLike {
  req: { raw: Request };
}

/**
 * A Hono handler for a receiver, over its web-standard `fetch`. Mount it with `app.all` so other
 * methods get the envelope's 405 (or `app.post` to leave them to Hono), before any middleware that
 * reads the body.
 *
 * @example
 * const app = new Hono();
 * app.all('/callback', toHonoHandler(receiver));
 */
export function toHonoHandler(receiver: Receiver): (c: HonoContextLike) => Promise<Response> {
  return function timhookHonoHandler(c) {
    return receiver.fetch(c.req.raw);
  };
}
