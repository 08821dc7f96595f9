import { z } from 'zod';
import { createMirrorSetup } from '../mirror-setup.js';
import { type PassState, runPass } from '../../server/index.js';
import { openChangeLog, openMirrorState } from '../../store/index.js';
import { type CliCommand, UsageError } from '../command.js';
import { httpUrlSetting } from '../http-url.js';
import { REST_SETTINGS, readRestSettings } from '../rest-settings.js';
import { setting } from '../setting.js';
import { describeSettings, readSettings } from '../settings.js';
import { SERVE_CONFIG_FILE } from './serve.js';

const Settings = z.object({
  url: setting(httpUrlSetting('--url', '--url must be the recorder’s base URL').optional(), {
    flag: 'url',
    help: 'A running recorder to run the pass: its base URL, e.g. http://127.0.0.1:8787 (it needs its own REST settings).',
  }),
  apiToken: setting(z.string().optional(), {
    flag: 'api-token',
    secret: true,
    help: 'The recorder’s --api-token, when it has one (with --url).',
  }),
  sdkAppId: setting(
    z
      .string()
      .regex(/^\d{1,20}$/, '--sdk-appid must be the numeric SDKAppID')
      .optional(),
    {
      flag: 'sdk-appid',
      placeholder: 'id',
      help: "Your app's SDKAppID (without --url).",
    },
  ),
  db: setting(z.string().min(1, '--db must not be empty').default('./data/timhook.db'), {
    flag: 'db',
    help: 'The change log to reconcile (without --url): a SQLite file no recorder has open, or a PostgreSQL URL.',
  }),
  ...REST_SETTINGS,
});

type ReconcileSettings = z.output<typeof Settings>;

export const command: CliCommand = {
  summary: 'Run one reconciliation pass: check every group and topic against the REST API, then exit',
  help: `Usage: timhook reconcile --url <recorder> [--api-token <token>]
       timhook reconcile --sdk-appid <id> --db <log> --rest-admin <id> --rest-secret-key <key> --rest-region <r>

Walks every group of the app (get_appid_group_list), reads their profiles (get_group_info, 50 at a
time) and the topics of communities (get_topic), and records each field that differs from the
mirror (timhook.Reconciled), each profile it had never seen (timhook.Snapshot) and each group or
topic that no longer exists (timhook.Vanished). A pass that was interrupted resumes where it
stopped. Shows progress, then a summary: scanned, drifted, fixed, failed. Exit code 0 when the
pass finished, 1 when it failed.

With --url, the running recorder does the pass (POST /api/reconcile) and this follows it. Without,
this process opens the change log itself: only when no recorder has that SQLite file open.

Options (flags > TIMHOOK_* environment > config file > defaults):
${describeSettings(Settings)}
  --config <file>
      Read these settings from the recorder's config file. Default: ./timhook.config.json when present.
`,
  async run(args) {
    const { settings } = readSettings(Settings, args, process.env, { configFile: SERVE_CONFIG_FILE });
    const show = createProgress(process.stdout);
    const final = settings.url
      ? await followRecorder(settings.url, settings.apiToken, show)
      : await runHere(settings, show);
    show.end(final);
    return final.status === 'done' ? 0 : 1;
  },
};

async function runHere(settings: ReconcileSettings, show: Progress): Promise<PassState> {
  const { sdkAppId, db } = settings;
  if (!sdkAppId) throw new UsageError('--sdk-appid is required without --url');
  const rest = readRestSettings(settings);
  if (!rest)
    throw new UsageError(
      'without --url, give the REST settings: --rest-admin, --rest-secret-key, --rest-region or --rest-url',
    );
  const setup = createMirrorSetup(rest, sdkAppId);
  // No IM backend waits on a pass: its appends may wait long for their commits, never refused early.
  const log = await openChangeLog({
    db,
    writerThread: false,
    groupCommit: { maxWaitMs: 60_000, maxAnswerMs: 120_000 },
  });
  const state = await openMirrorState(db);
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await runPass(
      {
        source: setup.source,
        log,
        sdkAppId,
        now: Date.now,
        state,
        onProgress: show.update,
        isStopping: () => stopping,
      },
      'cli',
      { ...setup.pass, resume: 'unfinished' },
    );
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await state.close();
    await log.close();
    await setup.close?.();
  }
}

async function followRecorder(url: string, apiToken: string | undefined, show: Progress): Promise<PassState> {
  const base = url.replace(/\/+$/, '');
  const headers: Record<string, string> = apiToken ? { authorization: `Bearer ${apiToken}` } : {};
  const ask = async (method: 'GET' | 'POST') => {
    let response: Response;
    try {
      response = await fetch(`${base}/api/reconcile`, { method, headers });
    } catch (error) {
      throw new Error(`cannot reach the recorder at ${base}: ${(error as Error).message}`);
    }
    const body = (await response.json().catch(() => null)) as {
      pass?: PassState | null;
      running?: boolean;
      error?: { message: string };
    } | null;
    if (!response.ok)
      throw new Error(body?.error?.message ?? `the recorder answered HTTP ${response.status}`);
    return body ?? {};
  };
  // The recorder marks the pass running before it answers the POST: running until it ends.
  await ask('POST');
  for (;;) {
    const status = await ask('GET');
    if (status.pass && status.pass.id !== 'starting') show.update(status.pass);
    if (!status.running && status.pass) return status.pass;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

interface Progress {
  update: (state: PassState) => void;
  end: (state: PassState) => void;
}

/** A progress bar on a terminal, a line every few seconds otherwise. */
function createProgress(out: NodeJS.WriteStream): Progress {
  const tty = out.isTTY === true;
  let lastLine = 0;
  const line = (s: PassState) => {
    const total = s.total ?? 0;
    const ratio = total > 0 ? Math.min(1, s.scanned / total) : 0;
    const bar = `${'#'.repeat(Math.round(ratio * 30))}${'-'.repeat(30 - Math.round(ratio * 30))}`;
    return `[${bar}] ${s.scanned}/${s.total ?? '?'} groups, ${s.topicsScanned} topics  drifted ${s.drifted}  fixed ${s.fixed}  filled ${s.filled}  failed ${s.failed}`;
  };
  return {
    update(state) {
      if (tty) {
        out.write(`\r${line(state)}`);
        return;
      }
      if (Date.now() - lastLine < 2000) return;
      lastLine = Date.now();
      out.write(`${line(state)}\n`);
    },
    end(state) {
      if (tty) out.write('\n');
      const seconds = ((state.finishedAt ?? Date.now()) - state.startedAt) / 1000;
      out.write(
        `reconciliation ${state.status === 'done' ? 'done' : 'FAILED'} in ${seconds.toFixed(1)} s: ` +
          `scanned ${state.scanned} groups and ${state.topicsScanned} topics${state.swept > 0 ? ` (and ${state.swept} groups not in the list)` : ''}, drifted ${state.drifted}, ` +
          `fixed ${state.fixed}, filled ${state.filled}, vanished ${state.vanished}, failed ${state.failed}` +
          (state.resumed > 0 ? ` (resumed ${state.resumed} time${state.resumed > 1 ? 's' : ''})` : '') +
          '\n',
      );
      if (state.error) process.stderr.write(`timhook reconcile: ${state.error}\n`);
    },
  };
}
