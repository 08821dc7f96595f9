import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { createEmulator } from '../../emulator/index.js';
import { createJsonLogger, createRecorder } from '../../server/index.js';
import { awaitListening } from '../await-listening.js';
import { type CliCommand, UsageError } from '../command.js';
import { createDemoWorld } from '../demo-traffic.js';
import { describeSettings, resolveSettings, type SettingSpec } from '../settings.js';
import { waitForStop } from '../wait-for-stop.js';

const SPECS: readonly SettingSpec[] = [
  {
    key: 'port',
    flag: 'port',
    type: 'string',
    flagOnly: true,
    default: '8787',
    help: 'Recorder port (API, stream, dashboard), 0 to 65535; 0 picks a free one.',
  },
  {
    key: 'emulatorPort',
    flag: 'emulator-port',
    type: 'string',
    flagOnly: true,
    default: '8788',
    help: 'Emulator port (REST API), 0 to 65535; 0 picks a free one.',
  },
  {
    key: 'db',
    flag: 'db',
    type: 'string',
    flagOnly: true,
    default: './data/demo.db',
    help: 'The demo recorder’s SQLite file.',
  },
  {
    key: 'rate',
    flag: 'rate',
    type: 'string',
    flagOnly: true,
    default: '2',
    help: 'Changes per second, 0 to 1000; 0 makes only the initial groups and topics.',
  },
  {
    key: 'quiet',
    flag: 'quiet',
    type: 'boolean',
    flagOnly: true,
    default: false,
    help: 'Do not print each change the demo makes.',
  },
];

const Settings = z.object({
  port: z.coerce.number().int().min(0).max(65_535, '--port must be 0 to 65535'),
  emulatorPort: z.coerce.number().int().min(0).max(65_535, '--emulator-port must be 0 to 65535'),
  db: z.string().min(1),
  rate: z.coerce.number().min(0).max(1000, '--rate must be 0 to 1000 changes per second'),
  quiet: z.boolean(),
});

const SDK_APP_ID = '1400000000';

export const command: CliCommand = {
  summary: 'Run the recorder and the emulator wired together, with live sample traffic',
  help: `Usage: timhook demo [--port 8787] [--emulator-port 8788] [--rate 2]

Starts the recorder and a local Chat backend (the emulator) that calls it with signed callbacks
(a token generated for this run), creates groups of each type and a community with topics, then
keeps making realistic changes: REST calls by the admin, and app users on several platforms
changing names, notices, photos and custom fields. Open the printed URLs, or follow the changes
with the printed 'timhook tail' command. Ctrl-C stops both.

Options:
${describeSettings(SPECS)}
`,
  async run(args) {
    const { values } = resolveSettings(SPECS, args, process.env);
    const parsed = Settings.safeParse(values);
    if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join('\n'));
    const settings = parsed.data;
    const token = randomBytes(16).toString('hex');
    const logger = createJsonLogger();
    const recorder = await createRecorder({
      sdkAppId: SDK_APP_ID,
      tokens: [token],
      port: settings.port,
      db: settings.db,
      logger,
    });
    let timer: NodeJS.Timeout | undefined;
    let emulatorStarted = false;
    const starting = recorder.start();
    const stopped = waitForStop(
      async () => {
        if (timer) clearInterval(timer);
        if (emulatorStarted) await emulator.stop();
        await recorder.stop();
      },
      starting,
      { stopWhenOutputCloses: true },
    );
    await awaitListening(starting, { host: '127.0.0.1', port: settings.port, portFlag: '--port' }, () =>
      recorder.stop(),
    );
    const emulator = createEmulator({
      sdkAppId: SDK_APP_ID,
      port: settings.emulatorPort,
      callbackUrl: recorder.callbackUrl,
      callbackToken: token,
      customFieldKeys: ['Level', 'Region', 'Theme'],
      log: (message, error) => logger.error(message, { error }),
    });
    await awaitListening(
      emulator.start(),
      { host: '127.0.0.1', port: settings.emulatorPort, portFlag: '--emulator-port' },
      async () => {
        await emulator.stop();
        await recorder.stop();
      },
    );
    emulatorStarted = true;
    const world = await createDemoWorld(emulator);
    process.stdout.write(
      `timhook demo is running\n` +
        `  dashboard   ${recorder.url}/\n` +
        `  API         ${recorder.url}/api/groups   ${recorder.url}/api/events\n` +
        `  live        timhook tail --url ${recorder.url}   (or: node dist/cli/bin.js tail --url ${recorder.url})\n` +
        `  emulator    ${emulator.url}/v4/...  (REST; see 'timhook emulator --help')   deliveries: ${emulator.url}/emulator/deliveries\n` +
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
