import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { createEmulator } from '../../emulator/index.js';
import { createJsonLogger, createRecorder, type Recorder } from '../../server/index.js';
import { awaitListening } from '../await-listening.js';
import type { CliCommand } from '../command.js';
import { onPassEnd } from '../demo-mirror.js';
import { createDemoWorld } from '../demo-traffic.js';
import { createMirrorSetup } from '../mirror-setup.js';
import { parseDuration } from '../rest-settings.js';
import { LOG_LEVEL } from '../log-level.js';
import { setting, wholeNumber } from '../setting.js';
import { describeSettings, readSettings } from '../settings.js';
import { waitForStop } from '../wait-for-stop.js';

// Flags only, but for --log-level: the TIMHOOK_* variables of these names belong to `timhook serve`.
const Settings = z.object({
  port: setting(wholeNumber('port', 0, 65_535).default(8787), {
    flag: 'port',
    env: false,
    help: 'Recorder port (API, stream, dashboard), 0 to 65535; 0 picks a free one.',
  }),
  emulatorPort: setting(wholeNumber('emulator-port', 0, 65_535).default(8788), {
    flag: 'emulator-port',
    env: false,
    help: 'Emulator port (REST API), 0 to 65535; 0 picks a free one.',
  }),
  db: setting(z.string().min(1, '--db must not be empty').default('./data/demo.db'), {
    flag: 'db',
    env: false,
    help: 'The demo recorder’s SQLite file.',
  }),
  rate: setting(
    z.coerce
      .number({ error: '--rate must be 0 to 1000 changes per second' })
      .min(0, '--rate must be 0 to 1000 changes per second')
      .max(1000, '--rate must be 0 to 1000 changes per second')
      .default(2),
    {
      flag: 'rate',
      env: false,
      help: 'Changes per second, 0 to 1000; 0 makes only the initial groups and topics.',
    },
  ),
  dropCallbacks: setting(
    z.coerce
      .number({ error: '--drop-callbacks must be a number from 0 to 1' })
      .min(0, '--drop-callbacks must be 0 to 1')
      .max(1, '--drop-callbacks must be 0 to 1')
      .default(0.1),
    {
      flag: 'drop-callbacks',
      env: false,
      help: 'The share of callbacks the emulator loses, 0 to 1; above 0 it also makes some changes with no callback. 0: no drift.',
    },
  ),
  reconcileEvery: setting(z.string().default('30s'), {
    flag: 'reconcile-every',
    env: false,
    placeholder: 'duration',
    help: 'How often the recorder reconciles its profiles with the emulator’s REST API: 30s, 5m.',
  }),
  quiet: setting(z.boolean().default(false), {
    flag: 'quiet',
    env: false,
    help: 'Do not print each change the demo makes.',
  }),
  ...LOG_LEVEL,
});

const SDK_APP_ID = '1400000000';
/** The share of changes the demo makes with no callback at all, when drift is on. */
const SILENT_SHARE = 0.05;

export const command: CliCommand = {
  summary: 'Run the recorder and the emulator wired together, with live sample traffic',
  help: `Usage: timhook demo [--port 8787] [--emulator-port 8788] [--rate 2] [--drop-callbacks 0.1]
                   [--reconcile-every 30s]

Starts the recorder and a local Chat backend (the emulator) that calls it with signed callbacks
(a token generated for this run), creates groups of each type and a community with topics, then
keeps making realistic changes: REST calls by the admin, and app users on several platforms
changing names, notices, photos and custom fields.

The emulator loses a share of the callbacks (--drop-callbacks) and now and then changes a profile
with no callback at all: the drift a network blip or a restart leaves behind. The recorder
has the emulator's REST API (its admin and secret key) and reconciles every --reconcile-every: each
pass finds the drift and repairs it from the REST API, and the demo prints a line when it ends. The
dashboard's Health page shows the passes live and has a "Reconcile now" button; repaired values are
marked "from REST" in the feed. --drop-callbacks 0 turns the drift off.

Open the printed URLs, or follow the changes with the printed 'timhook tail' command. Ctrl-C stops
both.

Options:
${describeSettings(Settings)}
`,
  async run(args) {
    const { settings } = readSettings(Settings, args, process.env);
    const reconcileEveryMs = parseDuration(settings.reconcileEvery, 'reconcile-every');
    const token = randomBytes(16).toString('hex');
    const secretKey = randomBytes(24).toString('hex');
    const logger = createJsonLogger(undefined, { level: settings.logLevel });
    const emulator = createEmulator({
      sdkAppId: SDK_APP_ID,
      secretKey,
      port: settings.emulatorPort,
      customFieldKeys: ['Level', 'Region', 'Theme'],
      dropCallbacks: settings.dropCallbacks,
      log: (message, error) => logger.error(message, { error }),
    });
    let recorder: Recorder | undefined;
    let timer: NodeJS.Timeout | undefined;
    let offPassEnd = () => {};
    let started!: () => void;
    const starting = new Promise<void>((resolve) => {
      started = resolve;
    });
    const stopped = waitForStop(
      async () => {
        if (timer) clearInterval(timer);
        offPassEnd();
        // The recorder first: its mirror calls the emulator until it stops.
        await recorder?.stop();
        await emulator.stop();
      },
      starting,
      { stopWhenOutputCloses: true },
    );
    try {
      await awaitListening(
        emulator.start(),
        { host: '127.0.0.1', port: settings.emulatorPort, portFlag: '--emulator-port' },
        () => emulator.stop(),
      );
      // The recorder's REST settings are the emulator's: its URL, its admin and its secret key.
      const mirror = createMirrorSetup(
        { admin: emulator.config().admins[0]!, secretKey, baseUrl: emulator.url, rateLimits: {} },
        SDK_APP_ID,
        { reconcileEveryMs },
      );
      const made = await createRecorder({
        sdkAppId: SDK_APP_ID,
        tokens: [token],
        port: settings.port,
        db: settings.db,
        logger,
        mirror,
      }).catch(async (error: unknown) => {
        await mirror.close?.();
        await emulator.stop();
        throw error;
      });
      recorder = made;
      await awaitListening(
        made.start(),
        { host: '127.0.0.1', port: settings.port, portFlag: '--port' },
        async () => {
          await made.stop();
          await emulator.stop();
        },
      );
    } finally {
      started();
    }
    emulator.configure({ callbackUrl: recorder.callbackUrl, callbackToken: token });
    offPassEnd = onPassEnd(recorder, (line) => process.stdout.write(`  ${line}\n`));
    const drift =
      settings.dropCallbacks > 0
        ? `loses ${Math.round(settings.dropCallbacks * 100)}% of callbacks and makes some changes silently`
        : 'loses no callback';
    const world = await createDemoWorld(emulator, Math.random, {
      silentShare: settings.dropCallbacks > 0 ? SILENT_SHARE : 0,
    });
    process.stdout.write(
      `timhook demo is running\n` +
        `  dashboard   ${recorder.url}/   (reconciliation: ${recorder.url}/health)\n` +
        `  API         ${recorder.url}/api/groups   ${recorder.url}/api/events\n` +
        `  live        timhook tail --url ${recorder.url}   (or: node dist/cli/bin.js tail --url ${recorder.url})\n` +
        `  emulator    ${emulator.url}/v4/...  (REST; see 'timhook emulator --help')   deliveries: ${emulator.url}/emulator/deliveries\n` +
        `  drift       the emulator ${drift}; the recorder reconciles every ${settings.reconcileEvery}\n` +
        `  made ${world.targets.length} groups and topics; now ${settings.rate} change(s) per second. Ctrl-C stops.\n`,
    );
    let busy = false;
    if (settings.rate > 0) {
      timer = setInterval(() => {
        if (busy) return;
        busy = true;
        world
          .step()
          .then((line) => {
            if (!settings.quiet) process.stdout.write(`  ${line}\n`);
          })
          .catch((error: unknown) => logger.error('a demo change failed', { error }))
          .finally(() => {
            busy = false;
          });
      }, 1000 / settings.rate);
    }
    return stopped;
  },
};
