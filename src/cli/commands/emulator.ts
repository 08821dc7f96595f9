import { createEmulator, type DeliveryRecord } from '../../emulator/index.js';
import { awaitListening } from '../await-listening.js';
import type { CliCommand } from '../command.js';
import {
  EmulatorSettingsSchema,
  type EmulatorSettings,
  readEmulatorSettings,
  toEmulatorOptions,
} from '../emulator-settings.js';
import { describeSettings, maskSecrets } from '../settings.js';
import { waitForStop } from '../wait-for-stop.js';

/** One line per delivery attempt: what went where and how the receiver answered. */
export function formatDelivery(record: DeliveryRecord): string {
  const answer =
    record.status === null ? record.error : `HTTP ${record.status} ${record.actionStatus ?? record.outcome}`;
  const retry = record.attempt > 1 ? ` (attempt ${record.attempt})` : '';
  return `callback ${record.command.replace('Group.CallbackAfter', '')} ${record.groupId} → ${answer} in ${Math.round(record.latencyMs)} ms${retry}`;
}

/** `timhook emulator`: runs {@link createEmulator} until Ctrl-C. */
export const command: CliCommand = {
  summary: 'Run a local Chat backend: REST API with UserSig, client users, signed callbacks',
  help: `Usage: timhook emulator [--callback-url URL] [--callback-token T] [options]

A stand-in for the Tencent Cloud Chat backend, to develop and test a callback receiver with no
cloud account. It keeps groups and topics in memory and has four faces:

  REST API     POST /v4/<service>/<command>?sdkappid=&identifier=&usersig=&random=&contenttype=json
               create_group, get_appid_group_list, get_group_info, modify_group_base_info,
               destroy_group (group_open_http_svc); create_topic, get_topic, modify_topic,
               destroy_topic (million_group_open_http_svc). identifier must be an app admin
               (--admin) and usersig a TLSSigAPIv2 UserSig made with --secret-key, e.g. with the
               official npm package:
                 new (require('tls-sig-api-v2').Api)(1400000000, KEY).genUserSig('administrator', 86400)
               Answers are HTTP 200 with ActionStatus/ErrorCode/ErrorInfo and the documented codes
               (60003 bad JSON, 70001 expired UserSig, 10004 a limit broken, 10010 no such group, …).
  reading      get_appid_group_list pages every group id (Limit ≤ 10000, Next cursor until 0,
               optional GroupType); get_group_info answers up to 50 groups, each with its own
               ErrorCode, narrowed by ResponseFilter {GroupBaseInfoFilter, AppDefinedDataFilter_Group};
               get_topic answers a community's topics with their profiles. Each API keeps its
               documented limit (get_appid_group_list 1 call/s, get_group_info and get_topic
               200 calls/s) and answers 60007 over it: see --rate-limit, --no-rate-limits.
  client face  POST /emulator/client/modify_group_base_info and /emulator/client/modify_topic with
               the REST body plus Operator_Account (the user), OptPlatform and ClientIP: a change
               made from an app, under the group's permission rules (Work: any member;
               Public/Community: owner or admin; Meeting/AVChatRoom: owner; 10007 otherwise).
  silent face  POST /emulator/silent/modify_group_base_info and /emulator/silent/modify_topic with
               the REST body: the change is made and no callback fires, so a recorder drifts.
  console      GET/PUT /emulator/config changes every setting below while running (rateLimits,
               dropCallbacks, silentChanges and seed included);
               GET /emulator/deliveries lists each callback attempt, newest first.

After each change the documented callbacks go to --callback-url, carrying only the fields that
changed, with SdkAppid, CallbackCommand, contenttype, ClientIP, OptPlatform (and Sign, RequestTime
with a token) in the URL, over kept-alive connections with a 2 s timeout; per group in the order
the changes were made. To make a mirror drift for real, --drop-callbacks 0.2 loses a fifth of them
(each logged as "dropped"; --seed N loses the same ones again) and --silent-changes sends none for
profile changes.

Options (flags > TIMHOOK_* environment > defaults):
${describeSettings(EmulatorSettingsSchema)}

Examples:
  # Feed a local recorder:
  timhook serve --sdk-appid 1400000000 --token dev-token &
  timhook emulator --callback-url http://127.0.0.1:8787/callback --callback-token dev-token
  # Then, with the UserSig it prints:
  curl -X POST "http://127.0.0.1:8788/v4/group_open_http_svc/create_group?sdkappid=1400000000&identifier=administrator&usersig=$SIG&random=1&contenttype=json" \\
       -d '{"Type":"Public","Name":"Ops","Owner_Account":"leckie"}'
  # Switch the topic body to the documented one while running:
  curl -X PUT http://127.0.0.1:8788/emulator/config -d '{"topicBody":"documented"}'
  # Lose 20% of callbacks, the same ones every run, and let get_group_info take 50 calls/s:
  timhook emulator --callback-url http://127.0.0.1:8787/callback --drop-callbacks 0.2 --seed 1 \\
                   --rate-limit get_group_info=50
  # Or while running:
  curl -X PUT http://127.0.0.1:8788/emulator/config -d '{"dropCallbacks":0.2,"seed":1}'
`,
  async run(args) {
    const settings = readEmulatorSettings(args, process.env);
    const emulator = createEmulator(toEmulatorOptions(settings));
    // Listen for Ctrl-C before saying where we listen, so a signal right after is handled.
    const starting = emulator.start();
    const stopped = waitForStop(() => emulator.stop(), starting, { stopWhenOutputCloses: true });
    const url = await awaitListening(
      starting,
      { host: settings.host, port: settings.port, portFlag: '--port' },
      () => emulator.stop(),
    );
    if (!settings.quiet) emulator.onDelivery((record) => process.stdout.write(`${formatDelivery(record)}\n`));
    process.stdout.write(describeStart(settings, url, emulator.userSig()));
    return stopped;
  },
};

function describeStart(settings: EmulatorSettings, url: string, adminSig: string): string {
  const admin = settings.admins[0]!;
  const shown = maskSecrets(EmulatorSettingsSchema, settings);
  if (!settings.secretKey) shown.secretKey = '(public default)';
  const lines = [
    `timhook emulator listening on ${url}`,
    `settings: ${JSON.stringify(shown)}`,
    `REST API:    POST ${url}/v4/<service>/<command>?sdkappid=${settings.sdkAppId}&identifier=${admin}&usersig=<UserSig>&random=<n>&contenttype=json`,
    `client face: POST ${url}/emulator/client/modify_group_base_info   (body: REST body + Operator_Account)`,
    `silent face: POST ${url}/emulator/silent/modify_group_base_info   (REST body; no callback fires)`,
    `console:     GET/PUT ${url}/emulator/config   deliveries: GET ${url}/emulator/deliveries`,
    describeFaults(settings),
    settings.callbackUrl
      ? `callbacks → ${settings.callbackUrl}${settings.callbackToken ? ' (signed)' : ' (unsigned: no --callback-token)'}`
      : 'callbacks: none until a URL is set (--callback-url, or PUT /emulator/config {"callbackUrl": …})',
  ];
  if (settings.secretKey) {
    lines.push(`UserSig: sign with your --secret-key, e.g. tls-sig-api-v2 genUserSig('${admin}', 86400)`);
  } else {
    // The default key is public, so a UserSig made with it is no secret.
    lines.push(
      `UserSig for ${admin} (public default key, valid 24 h): ${adminSig}`,
      'try it:',
      `  curl -X POST '${url}/v4/group_open_http_svc/create_group?sdkappid=${settings.sdkAppId}&identifier=${admin}&usersig=${adminSig}&random=1&contenttype=json' -d '{"Type":"Public","Name":"Ops"}'`,
    );
    if (!isLoopback(settings.host)) {
      lines.push(
        'warning: listening beyond this machine with the public default secret key: pass --secret-key',
      );
    }
  }
  if (!isLoopback(settings.host)) {
    lines.push(
      'warning: the console (/emulator/config) and the client face have no authentication: anyone who can reach this port can redirect callbacks and change groups',
    );
  }
  return `${lines.join('\n')}\n`;
}

function describeFaults(settings: EmulatorSettings): string {
  const faults = [
    settings.dropCallbacks > 0
      ? `${Math.round(settings.dropCallbacks * 1000) / 10}% of callbacks dropped${settings.seed === undefined ? '' : ` (seed ${settings.seed})`}`
      : null,
    settings.silentChanges ? 'profile changes silent' : null,
  ].filter((fault) => fault !== null);
  return `faults:      ${faults.length > 0 ? faults.join(', ') : 'none'} (dropCallbacks, silentChanges in /emulator/config)`;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
