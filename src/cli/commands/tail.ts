import { createParser } from 'eventsource-parser';
import { z } from 'zod';
import type { RecordedEvent } from '../../store/index.js';
import { isOutputClosed, whenOutputCloses } from '../closed-output.js';
import type { CliCommand } from '../command.js';
import { formatChangeLine } from '../format-change.js';
import { httpUrlSetting } from '../http-url.js';
import { setting } from '../setting.js';
import { describeSettings, readSettings } from '../settings.js';

const Settings = z.object({
  url: setting(
    httpUrlSetting('--url', '--url must be the recorder’s base URL, e.g. http://127.0.0.1:8787').default(
      'http://127.0.0.1:8787',
    ),
    { flag: 'url', help: 'The recorder to follow: its base URL, starting with http:// or https://.' },
  ),
  apiToken: setting(z.string().optional(), {
    flag: 'api-token',
    secret: true,
    help: 'The recorder’s --api-token, when it has one.',
  }),
  group: setting(z.string().optional(), {
    flag: 'group',
    env: false,
    placeholder: 'id',
    help: 'Only this group (or community, with its topics).',
  }),
  topic: setting(z.string().optional(), {
    flag: 'topic',
    env: false,
    placeholder: 'id',
    help: 'Only this topic.',
  }),
  operator: setting(z.string().optional(), {
    flag: 'operator',
    env: false,
    placeholder: 'account',
    help: 'Only changes by this account.',
  }),
  after: setting(z.string().regex(/^\d+$/, '--after takes a seq (a whole number)').optional(), {
    flag: 'after',
    env: false,
    placeholder: 'seq',
    help: 'Replay the log after this seq first (0: everything), then follow.',
  }),
  json: setting(z.boolean().default(false), {
    flag: 'json',
    env: false,
    help: 'Print each event as one JSON line.',
  }),
});

export const command: CliCommand = {
  summary: 'Follow the live change stream in the terminal, one line per change',
  help: `Usage: timhook tail [--url http://127.0.0.1:8787] [--api-token T] [--group ID] [--after SEQ]

Prints every recorded change as it happens, with its diff (Name: "Old" → "New"). After a
disconnect it reconnects and resumes after the last change it printed, so nothing is missed or
printed twice. Ctrl-C stops.

Options:
${describeSettings(Settings)}
`,
  async run(args) {
    const { settings } = readSettings(Settings, args, process.env);
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
