import {
  type AnyEvent,
  type CallbackQuery,
  isKnownCommand,
  parseBody,
  utf8ByteLength,
} from '../protocol/index.js';
import { markParsedEvent } from '../protocol/object-bodies.js';
import { findNameProblem } from './check-names.js';
import { ReceiverError } from './errors.js';
import type { ResolvedReceiverOptions } from './options.js';

/**
 * Turns a verified query and the raw body into a typed event: size, strict JSON, an object, the
 * command in the URL and the body agreeing, and the command's schema when it is a known one.
 * Unknown commands (other Chat callbacks) pass untyped.
 */
export function readEvent(
  query: CallbackQuery,
  rawBody: string,
  options: ResolvedReceiverOptions,
): AnyEvent | ReceiverError {
  // Adapters stop reading at the limit; a caller of the core with a string is checked here.
  if (rawBody.length > options.maxBodyBytes / 3 && utf8ByteLength(rawBody) > options.maxBodyBytes) {
    return new ReceiverError('BodyTooLarge', `body is over ${options.maxBodyBytes} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(rawBody);
  } catch (cause) {
    return new ReceiverError('BodyNotJson', `body is not JSON: ${(cause as Error).message}`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new ReceiverError('BodyNotObject', 'body must be a JSON object');
  }
  const body = value as Record<string, unknown>;
  const inBody = body.CallbackCommand;
  if (inBody !== undefined && typeof inBody !== 'string') {
    return new ReceiverError('SchemaViolation', 'CallbackCommand: must be a string');
  }
  const command = query.CallbackCommand ?? inBody;
  if (!command)
    return new ReceiverError('MissingCommand', 'CallbackCommand is missing from the URL and the body');
  if (query.CallbackCommand && inBody !== undefined && inBody !== query.CallbackCommand) {
    return new ReceiverError(
      'CommandMismatch',
      `CallbackCommand differs: ${query.CallbackCommand} in the URL, ${inBody} in the body`,
    );
  }
  const sdkAppId = query.SdkAppid ?? options.sdkAppId;
  if (!isKnownCommand(command)) {
    const problem = findNameProblem(command, query, body);
    if (problem) return new ReceiverError('SchemaViolation', problem);
    return parsedEvent({ command, body, rawBody, query, sdkAppId, receivedAt: options.now() });
  }
  const checked = parseBody(command, body);
  if (!checked.ok) return new ReceiverError('SchemaViolation', `${command}: ${checked.problems.join('; ')}`);
  // Ids and names that a store could not give back as they came (docs/ids.md).
  const problem = findNameProblem(command, query, body);
  if (problem) return new ReceiverError('SchemaViolation', problem);
  return parsedEvent({
    command,
    body: checked.body,
    rawBody,
    query,
    sdkAppId,
    receivedAt: options.now(),
  } as AnyEvent);
}

/** `event`, its body known to be the JSON object its raw body holds (protocol/object-bodies.ts). */
function parsedEvent(event: AnyEvent): AnyEvent {
  markParsedEvent(event);
  return event;
}
