import type { RenderedEvent } from '../store/index.js';

/** The names a subject, stream key or routing key template may use, as `{name}`. */
export const TEMPLATE_VARIABLES = ['groupId', 'topicId', 'kind', 'command', 'sdkAppId'] as const;

/** What a template is filled from: a message's event and the app it belongs to (a `RelayMessage`). */
export interface TemplateInput {
  sdkAppId: string;
  event: Pick<RenderedEvent, 'groupId' | 'topicId' | 'kind' | 'command'>;
}

/** Fills a template for one message. */
export type Template = (message: TemplateInput) => string;

/** The `{name}`s a template uses that are not {@link TEMPLATE_VARIABLES}. */
export function unknownTemplateVariables(template: string): string[] {
  const known = new Set<string>(TEMPLATE_VARIABLES);
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!).filter((name) => !known.has(name));
}

/**
 * Compiles `template` (e.g. `timhook.group.{groupId}`); each value goes through `encode`. A value
 * the event does not have (a topic change without `TopicId`) is `_`.
 */
export function compileTemplate(template: string, encode: (value: string) => string = (v) => v): Template {
  const parts = template.split(/\{([^{}]*)\}/);
  if (parts.length === 1) return () => template;
  return function fillTemplate(message) {
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      if (i % 2 === 0) out += parts[i];
      else {
        const name = parts[i];
        const value =
          name === 'sdkAppId' ? message.sdkAppId : message.event[name as keyof TemplateInput['event']];
        out += value === null || value === '' ? '_' : encode(value);
      }
    }
    return out;
  };
}

/**
 * Keeps a value one token of a NATS subject or one word of an AMQP routing key: `.` (the
 * separator), `*` and `>` (wildcards), whitespace and `%` itself are percent-encoded, so
 * `@TGS#abc` stays as it is and a custom id `a.b` becomes `a%2Eb`.
 */
export function escapeToken(value: string): string {
  return value.replace(/[.*>%\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
