import type { RequestHandler } from 'express';
import type { RouteOptions } from 'fastify';
import { Hono } from 'hono';
import { describe, expectTypeOf, it } from 'vitest';
import type { AnyEvent, CallbackQuery, EventOf, KnownEvent, UnknownEvent } from '../../src/protocol/index.js';
import {
  createReceiver,
  type HonoContextLike,
  toFastifyRoute,
  toHonoHandler,
  toNodeHandler,
} from '../../src/receiver/index.js';

const receiver = createReceiver({ sdkAppId: 1400000000, tokens: ['token'] });

describe('typed handlers', () => {
  it('give a group change its typed body', () => {
    receiver.on('Group.CallbackAfterGroupInfoChanged', (event) => {
      expectTypeOf(event.command).toEqualTypeOf<'Group.CallbackAfterGroupInfoChanged'>();
      expectTypeOf(event.body.Name).toEqualTypeOf<string | undefined>();
      expectTypeOf(event.body.EventTime).toEqualTypeOf<number | undefined>();
      expectTypeOf(event.body.GroupId).toEqualTypeOf<string>();
      expectTypeOf(event.rawBody).toEqualTypeOf<string>();
      expectTypeOf(event.query).toEqualTypeOf<CallbackQuery>();
      expectTypeOf(event).toEqualTypeOf<EventOf<'Group.CallbackAfterGroupInfoChanged'>>();
    });
  });

  it('give a topic change an optional TopicId', () => {
    receiver.on('Group.CallbackAfterTopicInfoChanged', (event) => {
      expectTypeOf(event.body.TopicId).toEqualTypeOf<string | undefined>();
      expectTypeOf(event.body.FaceUrl).toEqualTypeOf<string | undefined>();
    });
  });

  it('give one handler for several commands the union of their events', () => {
    receiver.on(['Group.CallbackAfterCreateTopic', 'Group.CallbackAfterTopicDestroyed'], (event) => {
      expectTypeOf(event.command).toEqualTypeOf<
        'Group.CallbackAfterCreateTopic' | 'Group.CallbackAfterTopicDestroyed'
      >();
    });
  });

  it('refuse a command timhook does not know', () => {
    // @ts-expect-error: not a known command
    receiver.on('Group.CallbackAfterGroupInfoChange', () => {});
    // @ts-expect-error: command names are case-sensitive
    receiver.on('group.callbackaftergroupinfochanged', () => {});
  });

  it('refuse a field the body does not have as a string', () => {
    receiver.on('Group.CallbackAfterGroupInfoChanged', (event) => {
      // @ts-expect-error: Name may be absent
      const name: string = event.body.Name;
      void name;
    });
  });

  it('give onAny the union of every event, known and unknown', () => {
    receiver.onAny((event) => {
      expectTypeOf(event).toEqualTypeOf<AnyEvent>();
      expectTypeOf(event).toEqualTypeOf<KnownEvent | UnknownEvent>();
      expectTypeOf(event.command).toEqualTypeOf<string>();
    });
  });

  it('let handlers be async', () => {
    receiver.on('Group.CallbackAfterGroupInfoChanged', async () => {});
    receiver.onError((error, event) => {
      expectTypeOf(error.code).toExtend<string>();
      expectTypeOf(event).toEqualTypeOf<AnyEvent | null>();
    });
  });

  it('give the Hono adapter a handler over web Requests', () => {
    expectTypeOf(toHonoHandler(receiver)).parameter(0).toEqualTypeOf<HonoContextLike>();
    expectTypeOf(toHonoHandler(receiver)).returns.toEqualTypeOf<Promise<Response>>();
  });

  it('give adapters that fit the frameworks’ own types without importing them', () => {
    expectTypeOf(toFastifyRoute(receiver)).toExtend<RouteOptions>();
    expectTypeOf(toNodeHandler(receiver)).toExtend<RequestHandler>();
    new Hono().all('/callback', toHonoHandler(receiver));
  });
});
