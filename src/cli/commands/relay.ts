import { existsSync } from 'node:fs';
import { z } from 'zod';
import {
  enableSink,
  listSinkDeadLetters,
  RelayControlError,
  type ReplayTarget,
  readRelayStatus,
  redriveSink,
  replaySink,
  type SinkStatus,
} from '../../relay/index.js';
import {
  type ChangeLog,
  type DeadLetter,
  isPostgresUrl,
  openChangeLog,
  openRelayState,
} from '../../store/index.js';
import { type CliCommand, UsageError } from '../command.js';
import { httpUrlSetting } from '../http-url.js';
import { setting } from '../setting.js';
import { describeSettings, readSettings } from '../settings.js';
import { SERVE_CONFIG_FILE } from './serve.js';

const Settings = z.object({
  db: setting(z.string().min(1, '--db must not be empty').default('./data/timhook.db'), {
    flag: 'db',
    help: 'The recorder’s database file (the relay state lives beside the log).',
  }),
  url: setting(
    httpUrlSetting('--url', '--url must be the recorder’s base URL, e.g. http://127.0.0.1:8787').optional(),
    {
      flag: 'url',
      env: false,
      help: 'Act through a running recorder’s API instead of the database file: its base URL, starting with http:// or https://, e.g. http://127.0.0.1:8787.',
    },
  ),
  apiToken: setting(z.string().optional(), {
    flag: 'api-token',
    secret: true,
    help: 'The recorder’s --api-token, with --url.',
  }),
  sink: setting(z.string().min(1, '--sink must not be empty').optional(), {
    flag: 'sink',
    env: false,
    placeholder: 'name',
    help: 'The sink, by its name in the config file.',
  }),
  from: setting(
    z
      .string()
      .regex(/^[1-9]\d{0,14}$/, '--from takes a seq (a whole number, 1 or more)')
      .optional(),
    { flag: 'from', env: false, placeholder: 'seq', help: 'replay: deliver again from this seq on.' },
  ),
  since: setting(z.string().min(1, '--since must not be empty').optional(), {
    flag: 'since',
    env: false,
    placeholder: 'time',
    help: 'replay: deliver again from the first change received at or after this time (ISO 8601 or ms).',
  }),
  json: setting(z.boolean().default(false), { flag: 'json', env: false, help: 'status: print JSON.' }),
});
type RelaySettings = z.output<typeof Settings>;

const ACTIONS = ['status', 'replay', 'redrive', 'enable'] as const;
type Action = (typeof ACTIONS)[number];

/** What the command does, the same over the database file or the API. */
interface RelayBackend {
  status(): Promise<SinkStatus[]>;
  deadLetters(sink: string): Promise<DeadLetter[]>;
  replay(sink: string, target: ReplayTarget): Promise<{ cursor: number }>;
  redrive(sink: string): Promise<number>;
  enable(sink: string): Promise<void>;
  close(): Promise<void>;
}

export const command: CliCommand = {
  summary: 'Relay status, replay, redrive and enable of the sinks (cursor, lag, dead letters)',
  help: `Usage: timhook relay status [--sink NAME] [--json]
       timhook relay replay --sink NAME (--from SEQ | --since TIME)
       timhook relay redrive --sink NAME
       timhook relay enable --sink NAME

status   every sink: cursor, lag in events and seconds, dead letters, last error; with --sink,
         that sink and its dead letters.
replay   moves the sink's cursor: delivery goes on from SEQ (or from the first change received
         at or after TIME). Changes already delivered are sent again, with the same ids.
redrive  delivers the sink's dead letters again (they stay dead letters if they fail again).
enable   turns on a sink that disabled itself (its endpoint answered HTTP 410).

By default it works on the database file: with the recorder stopped, or running (it sees the
change within a second). With --url it asks a running recorder's API instead (another machine,
a container), which acts at once.

Options:
${describeSettings(Settings)}
  --config <file>
      Read "db" from this config file. Default: ./timhook.config.json when present.

Examples:
  timhook relay status
  timhook relay replay --sink orders --since 2026-11-22T10:00:00Z
  timhook relay redrive --sink orders --url http://127.0.0.1:8787 --api-token "$API_TOKEN"
`,
  async run(args) {
    const [action, ...rest] = args;
    if (!ACTIONS.includes(action as Action)) {
      throw new UsageError(`say what to do: ${ACTIONS.join(', ')}`);
    }
    // The config file is the recorder's: relay reads its db and accepts the rest.
    const { settings } = readSettings(Settings, rest, process.env, { configFile: SERVE_CONFIG_FILE });
    if (action !== 'status' && !settings.sink) throw new UsageError(`relay ${action} needs --sink NAME`);
    const target = action === 'replay' ? readTarget(settings) : null;
    const backend = settings.url
      ? apiBackend(settings.url, settings.apiToken)
      : await fileBackend(settings.db);
    try {
      return await perform(action as Action, settings, target, backend);
    } catch (error) {
      if (error instanceof RelayControlError) {
        process.stderr.write(`timhook relay: ${error.message}\n`);
        return 1;
      }
      throw error;
    } finally {
      await backend.close();
    }
  },
};

async function perform(
  action: Action,
  settings: RelaySettings,
  target: ReplayTarget | null,
  backend: RelayBackend,
): Promise<number> {
  const sink = settings.sink!;
  const out = (text: string) => process.stdout.write(`${text}\n`);
  switch (action) {
    case 'status': {
      const all = await backend.status();
      const shown = settings.sink ? all.filter((s) => s.sink === settings.sink) : all;
      if (settings.sink && shown.length === 0) {
        throw new RelayControlError('unknown_sink', `no sink named ${JSON.stringify(settings.sink)}`);
      }
      const letters = settings.sink ? await backend.deadLetters(settings.sink) : null;
      if (settings.json) out(JSON.stringify(letters ? { ...shown[0], letters } : { sinks: shown }));
      else out(formatStatus(shown, letters));
      return 0;
    }
    case 'replay': {
      const { cursor } = await backend.replay(sink, target!);
      out(`sink ${sink}: delivery goes on after seq ${cursor} (changes already sent go again, same ids)`);
      return 0;
    }
    case 'redrive': {
      const count = await backend.redrive(sink);
      out(`sink ${sink}: ${count} dead letter${count === 1 ? '' : 's'} to deliver again`);
      return 0;
    }
    case 'enable':
      await backend.enable(sink);
      out(`sink ${sink}: enabled; delivery goes on from its cursor`);
      return 0;
  }
}

function readTarget(settings: RelaySettings): ReplayTarget {
  if ((settings.from === undefined) === (settings.since === undefined)) {
    throw new UsageError('relay replay needs --from SEQ or --since TIME (one of them)');
  }
  if (settings.from !== undefined) return { from: Number(settings.from) };
  const since = /^\d+$/.test(settings.since!) ? Number(settings.since) : Date.parse(settings.since!);
  if (!Number.isFinite(since)) throw new UsageError('--since takes an ISO 8601 time or milliseconds');
  return { since };
}

/** Works on the database (a SQLite file, or PostgreSQL): the relay state is beside the log. */
async function fileBackend(db: string): Promise<RelayBackend> {
  if (!isPostgresUrl(db)) {
    const path = db.startsWith('sqlite:') ? db.slice(7) : db;
    if (!existsSync(path))
      throw new UsageError(`no database at ${path}: give --db, or --url of a running recorder`);
  }
  const log: ChangeLog = await openChangeLog({ db, writerThread: false });
  const state = await openRelayState(db);
  return {
    status: () => readRelayStatus(log, state),
    deadLetters: (sink) => listSinkDeadLetters(state, sink, { limit: 100 }),
    replay: (sink, target) => replaySink(log, state, sink, target),
    redrive: (sink) => redriveSink(state, sink),
    async enable(sink) {
      await enableSink(state, sink);
    },
    async close() {
      await state.close();
      await log.close();
    },
  };
}

/** Works through a running recorder's JSON API. */
function apiBackend(base: string, apiToken: string | undefined): RelayBackend {
  async function call<T>(path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (apiToken) headers.authorization = `Bearer ${apiToken}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(new URL(path, base), {
        method: body === undefined ? 'GET' : 'POST',
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      const code = ((error as Error).cause as { code?: string } | undefined)?.code;
      throw new RelayControlError(
        'bad_request',
        `cannot reach ${base} (${code ?? (error as Error).message})`,
      );
    }
    const answer = (await response.json().catch(() => null)) as {
      error?: { code: string; message: string };
    } | null;
    if (!response.ok) {
      const message = answer?.error?.message ?? `HTTP ${response.status}`;
      throw new RelayControlError(response.status === 404 ? 'unknown_sink' : 'bad_request', message);
    }
    return answer as T;
  }
  const sinkPath = (sink: string, rest = '') => `/api/relay/${encodeURIComponent(sink)}${rest}`;
  return {
    status: async () => (await call<{ sinks: SinkStatus[] }>('/api/relay')).sinks,
    deadLetters: async (sink) => (await call<{ letters: DeadLetter[] }>(sinkPath(sink))).letters,
    replay: (sink, target) => call<{ cursor: number }>(sinkPath(sink, '/replay'), target),
    redrive: async (sink) => (await call<{ redriven: number }>(sinkPath(sink, '/redrive'), {})).redriven,
    async enable(sink) {
      await call(sinkPath(sink, '/enable'), {});
    },
    async close() {},
  };
}

/** The status as a table, then (with one sink) its dead letters. */
export function formatStatus(sinks: readonly SinkStatus[], letters: readonly DeadLetter[] | null): string {
  if (sinks.length === 0)
    return 'no sink has run against this database yet (declare them under "sinks" in the config file)';
  const rows = sinks.map((s) => [
    s.sink,
    s.type ?? '-',
    s.disabled ? 'disabled' : (s.phase ?? '-'),
    String(s.cursor),
    String(s.lagEvents),
    s.lagSeconds.toFixed(1),
    String(s.delivered),
    String(s.deadLetters) + (s.redrivePending > 0 ? ` (${s.redrivePending} to re-drive)` : ''),
    s.disabled
      ? `disabled: ${s.disabledReason ?? ''}`
      : s.lastError
        ? `${s.lastError}${s.lastErrorAt ? ` (${new Date(s.lastErrorAt).toISOString()})` : ''}`
        : '-',
  ]);
  const header = [
    'SINK',
    'TYPE',
    'STATE',
    'CURSOR',
    'LAG',
    'LAG S',
    'DELIVERED',
    'DEAD LETTERS',
    'LAST ERROR',
  ];
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  if (letters) {
    lines.push('', letters.length === 0 ? 'no dead letters' : 'dead letters (oldest first):');
    for (const letter of letters) {
      lines.push(
        `  #${letter.seq}  ${letter.attempts} attempts  ${new Date(letter.failedAt).toISOString()}  ${letter.redrive ? '[to re-drive] ' : ''}${letter.error}`,
      );
    }
  }
  return lines.join('\n');
}
