import type { RecordedEvent } from '../store/index.js';

/** The names a subject, stream key or routing key template may use, as `{name}`. */
export const TEMPLATE_VARIABLES = ['groupId', 'topicId', 'kind', 'command', 'sdkAppId'] as const;

type Variable = (typeof TEMPLATE_VARIABLES)[number];

/** Fills a template for one event. */
export type Template = (event: RecordedEvent) => string;

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
  return function fillTemplate(event) {
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      if (i % 2 === 0) out += parts[i];
      else {
        const value = event[parts[i] as Variable];
        out += value === null || value === '' ? '_' : encode(String(value));
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
