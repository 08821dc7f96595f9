import { createParser } from 'eventsource-parser';
import { z } from 'zod';
import type { RecordedEvent } from '../../store/index.js';
import { isOutputClosed, whenOutputCloses } from '../closed-output.js';
import { type CliCommand, UsageError } from '../command.js';
import { formatChangeLine } from '../format-change.js';
import { httpUrlSetting } from '../http-url.js';
import { describeSettings, resolveSettings, type SettingSpec } from '../settings.js';

const SPECS: readonly SettingSpec[] = [
  {
    key: 'url',
    flag: 'url',
    type: 'string',
    default: 'http://127.0.0.1:8787',
    help: 'The recorder to follow: its base URL, starting with http:// or https://.',
  },
  {
    key: 'apiToken',
    flag: 'api-token',
    type: 'string',
    secret: true,
    help: 'The recorder’s --api-token, when it has one.',
  },
  {
    key: 'group',
    flag: 'group',
    type: 'string',
    flagOnly: true,
    help: 'Only this group (or community, with its topics).',
  },
  { key: 'topic', flag: 'topic', type: 'string', flagOnly: true, help: 'Only this topic.' },
  {
    key: 'operator',
    flag: 'operator',
    type: 'string',
    flagOnly: true,
    help: 'Only changes by this account.',
  },
  {
    key: 'after',
    flag: 'after',
    type: 'string',
    flagOnly: true,
    help: 'Replay the log after this seq first (0: everything), then follow.',
  },
  {
    key: 'json',
    flag: 'json',
    type: 'boolean',
    flagOnly: true,
    default: false,
    help: 'Print each event as one JSON line.',
  },
];

const Settings = z.object({
  url: httpUrlSetting('--url', '--url must be the recorder’s base URL, e.g. http://127.0.0.1:8787'),
  apiToken: z.string().optional(),
  group: z.string().optional(),
  topic: z.string().optional(),
  operator: z.string().optional(),
  after: z.string().regex(/^\d+$/, '--after takes a seq (a whole number)').optional(),
  json: z.boolean(),
});

export const command: CliCommand = {
  summary: 'Follow the live change stream in the terminal, one line per change',
  help: `Usage: timhook tail [--url http://127.0.0.1:8787] [--api-token T] [--group ID] [--after SEQ]

Prints every recorded change as it happens, with its diff (Name: "Old" → "New"). After a
disconnect it reconnects and resumes after the last change it printed, so nothing is missed or
printed twice. Ctrl-C stops.

Options:
${describeSettings(SPECS)}
`,
  async run(args) {
    const { values } = resolveSettings(SPECS, args, process.env);
    const parsed = Settings.safeParse(values);
    if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join('\n'));
    const settings = parsed.data;
    const stream = new URL('/api/stream', settings.url);
    if (settings.group) stream.searchParams.set('groupId', settings.group);
    if (settings.topic) stream.searchParams.set('topicId', settings.topic);
    if (settings.operator) stream.searchParams.set('operator', settings.operator);
    let lastId = settings.after;
    const controller = new AbortController();
    let stopping = false;
    const stop = () => {
      stopping = true;
      controller.abort();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // `timhook tail | head -2`: once the reader is gone there is no one left to print for.
    whenOutputCloses(stop);
    let delay = 500;
    while (!stopping) {
      const outcome = await follow(stream, settings, lastId, controller.signal, (event) => {
        if (isOutputClosed()) return;
        lastId = String(event.seq);
        delay = 500;
        process.stdout.write(`${settings.json ? JSON.stringify(event) : formatChangeLine(event)}\n`);
      });
      if (stopping) break;
      if (outcome.fatal) {
        process.stderr.write(`timhook tail: ${outcome.message}\n`);
        return 1;
      }
      process.stderr.write(
        `timhook tail: ${outcome.message}; reconnecting in ${(delay / 1000).toFixed(1)} s${lastId ? ` (resuming after #${lastId})` : ''}\n`,
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10_000);
    }
    return 0;
  },
};

async function follow(
  url: URL,
  settings: { apiToken?: string | undefined },
  lastId: string | undefined,
  signal: AbortSignal,
  onEvent: (event: RecordedEvent) => void,
): Promise<{ fatal: boolean; message: string }> {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (settings.apiToken) headers.authorization = `Bearer ${settings.apiToken}`;
  if (lastId !== undefined) headers['last-event-id'] = lastId;
  let response: Response;
  try {
    response = await fetch(url, { headers, signal });
  } catch (error) {
    return { fatal: false, message: `cannot reach ${url.origin} (${describe(error)})` };
  }
  if (response.status === 401 || response.status === 403 || response.status === 400) {
    const text = await response.text();
    return { fatal: true, message: `the recorder refused the stream (HTTP ${response.status}): ${text}` };
  }
  if (!response.ok || !response.body) return { fatal: false, message: `HTTP ${response.status}` };
  const parser = createParser({
    onEvent(message) {
      if (message.event !== 'change') return;
      onEvent(JSON.parse(message.data) as RecordedEvent);
    },
  });
  try {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
  } catch (error) {
    return { fatal: false, message: `stream broke (${describe(error)})` };
  }
  return { fatal: false, message: 'the recorder closed the stream' };
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error as Error).message;
}
