import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { buildCallbackUrl, Commands, communityIdOf, computeSign } from '../../protocol/index.js';
import { type CliCommand, UsageError } from '../command.js';
import { httpUrlSetting } from '../http-url.js';
import { setting } from '../setting.js';
import { describeSettings, readSettings } from '../settings.js';

/** A text flag of this one run (no variable): `--name New`. */
const text = (flag: string, help: string) => setting(z.string().optional(), { flag, env: false, help });

const Settings = z.object({
  url: setting(
    httpUrlSetting('--url', '--url is required: the callback URL, e.g. http://127.0.0.1:8787/callback'),
    {
      flag: 'url',
      help: 'The callback URL to post to (any receiver, not only timhook); starts with http:// or https://.',
    },
  ),
  sdkAppId: setting(z.string({ error: '--sdk-appid is required' }).min(1, '--sdk-appid is required'), {
    flag: 'sdk-appid',
    placeholder: 'id',
    help: 'SdkAppid to put in the URL.',
  }),
  token: setting(z.string().optional(), {
    flag: 'token',
    secret: true,
    help: 'Callback token to sign with (Sign = sha256(token + RequestTime)).',
  }),
  unsigned: setting(z.boolean().default(false), { flag: 'unsigned', help: 'Send no Sign/RequestTime.' }),
  file: text('file', 'Send this JSON body as is (its CallbackCommand is used). "-" reads standard input.'),
  command: text(
    'command',
    'CallbackCommand. Default: Group.CallbackAfterGroupInfoChanged, or ...TopicInfoChanged with --topic.',
  ),
  group: text(
    'group',
    'GroupId (for a topic: its community; taken from --topic when that is a full topic id).',
  ),
  topic: text('topic', 'TopicId: send a topic change.'),
  type: text('type', 'Group Type. Default Public (Community for a topic).'),
  operator: setting(z.string().default('admin'), { flag: 'operator', env: false, help: 'Operator_Account.' }),
  name: text('name', 'New Name.'),
  introduction: text('introduction', 'New Introduction.'),
  notification: text('notification', 'New Notification.'),
  faceUrl: text('face-url', 'New FaceUrl.'),
  custom: setting(z.array(z.string().regex(/^[^=]+=/, '--custom takes Key=Value')).optional(), {
    flag: 'custom',
    env: false,
    placeholder: 'Key=Value',
    help: 'A custom field, Key=Value (group changes).',
  }),
  eventTime: setting(
    z
      .string()
      .regex(/^(\d+|none)$/, '--event-time takes milliseconds or "none"')
      .optional(),
    { flag: 'event-time', env: false, help: 'EventTime in ms; "none" to leave it out. Default: now.' },
  ),
  platform: setting(z.string().default('RESTAPI'), {
    flag: 'platform',
    env: false,
    help: 'OptPlatform in the URL.',
  }),
  clientIp: setting(z.string().default('127.0.0.1'), {
    flag: 'client-ip',
    env: false,
    help: 'ClientIP in the URL.',
  }),
});

type SendSettings = z.output<typeof Settings>;

/** Builds the body to send from the flags, or reads it from --file. */
export function buildSendBody(
  settings: SendSettings,
  readFile: (path: string) => string,
): { command: string; body: string } {
  if (settings.file) {
    const text = readFile(settings.file === '-' ? '/dev/stdin' : settings.file);
    let parsed: { CallbackCommand?: unknown };
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`--file ${settings.file} is not JSON: ${(error as Error).message}`);
    }
    const command =
      settings.command ?? (typeof parsed.CallbackCommand === 'string' ? parsed.CallbackCommand : undefined);
    if (!command) throw new UsageError('the body has no CallbackCommand: add one or pass --command');
    return { command, body: text };
  }
  const topic = settings.topic;
  const command = settings.command ?? (topic ? Commands.TopicInfoChanged : Commands.GroupInfoChanged);
  const group = settings.group ?? (topic ? communityIdOf(topic) : undefined);
  if (!group) throw new UsageError('--group is required (or --file with a whole body)');
  const body: Record<string, unknown> = {
    CallbackCommand: command,
    GroupId: group,
    ...(topic ? { TopicId: topic } : {}),
    Type: settings.type ?? (topic ? 'Community' : 'Public'),
    Operator_Account: settings.operator,
  };
  if (settings.name !== undefined) body.Name = settings.name;
  if (settings.introduction !== undefined) body.Introduction = settings.introduction;
  if (settings.notification !== undefined) body.Notification = settings.notification;
  if (settings.faceUrl !== undefined) body.FaceUrl = settings.faceUrl;
  if (settings.custom?.length) {
    body.UserDefinedDataList = settings.custom.map((pair) => {
      const at = pair.indexOf('=');
      return { Key: pair.slice(0, at), Value: pair.slice(at + 1) };
    });
  }
  if (settings.eventTime !== 'none')
    body.EventTime = settings.eventTime ? Number(settings.eventTime) : Date.now();
  return { command, body: JSON.stringify(body) };
}

export const command: CliCommand = {
  summary: 'Fire one correctly signed callback at any URL and print the answer',
  help: `Usage: timhook send --url <callback url> --sdk-appid <id> --token <token> (--file body.json | --group <id> [fields])

Builds the URL exactly as Tencent Cloud Chat does (SdkAppid, CallbackCommand, contenttype=json,
ClientIP, OptPlatform, and Sign + a fresh RequestTime), posts the body, and prints the HTTP status
and the answer. Exit code 0 when the receiver answered ActionStatus OK, 1 otherwise.

Options:
${describeSettings(Settings)}

Examples:
  timhook send --url http://127.0.0.1:8787/callback --sdk-appid 1400000000 --token secret \\
    --group '@TGS#2J4SZEAEL' --name 'New name' --custom Level=3
  timhook send --url https://example.com/im --sdk-appid 1400000000 --token secret --file body.json
`,
  async run(args) {
    const { settings } = readSettings(Settings, args, process.env);
    if (!settings.token && !settings.unsigned) {
      throw new UsageError(
        '--token is required to sign (or TIMHOOK_TOKEN); pass --unsigned to send without a Sign',
      );
    }
    const { command: callbackCommand, body } = buildSendBody(settings, (path) => readFileSync(path, 'utf8'));
    const requestTime = Math.floor(Date.now() / 1000);
    const url = buildCallbackUrl(settings.url, {
      sdkAppId: settings.sdkAppId,
      command: callbackCommand,
      clientIp: settings.clientIp,
      optPlatform: settings.platform,
      ...(settings.token && !settings.unsigned
        ? { sign: { sign: computeSign(settings.token, requestTime), requestTime } }
        : {}),
    });
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      process.stderr.write(
        `timhook send: could not reach ${settings.url}: ${(error as Error).cause ?? (error as Error).message}\n`,
      );
      return 1;
    }
    const text = await response.text();
    const ms = (performance.now() - started).toFixed(1);
    process.stdout.write(`HTTP ${response.status} in ${ms} ms\n${text}\n`);
    try {
      return (JSON.parse(text) as { ActionStatus?: string }).ActionStatus === 'OK' ? 0 : 1;
    } catch {
      return 1;
    }
  },
};
