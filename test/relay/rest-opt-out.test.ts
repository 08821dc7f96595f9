import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { readBatch } from '../../src/relay/read-batch.js';
import { parseSinks } from '../../src/relay/index.js';
import { REST_COMMANDS, toRestEntry } from '../../src/server/mirror/rest-entry.js';
import { type ChangeLog, openSqliteChangeLog } from '../../src/store/index.js';
import { APP_ID, G1, groupChanged, T0 } from '../store/entries.js';

let dir: string | undefined;
let log: ChangeLog | undefined;
afterEach(async () => {
  await log?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  log = dir = undefined;
});

it('a sink with "rest": false is given the callbacks only, not what the REST API told the recorder', async () => {
  dir = mkdtempSync(join(tmpdir(), 'timhook-rest-opt-out-'));
  log = openSqliteChangeLog({ path: join(dir, 'log.db') });
  await log.append([await groupChanged(G1, { Name: 'by callback' }, { at: T0 })]);
  await log.append([
    toRestEntry({
      command: REST_COMMANDS.reconciled,
      kind: 'group',
      sdkAppId: APP_ID,
      groupId: G1,
      topicId: null,
      groupType: 'Public',
      changes: { Introduction: 'from the API' },
      requestedAt: T0 + 10,
      receivedAt: T0 + 20,
      api: 'group_open_http_svc/get_group_info',
      answer: null,
    }),
  ]);
  const sinks = parseSinks(
    [
      { name: 'all', type: 'redis', url: 'redis://127.0.0.1:6379' },
      { name: 'callbacks', type: 'redis', url: 'redis://127.0.0.1:6379', rest: false },
    ],
    {},
  );
  const commands = async (index: number) =>
    (await readBatch(log!, sinks[index]!.settings, async () => APP_ID, 0)).messages.map(
      (m) => m.event.command,
    );
  expect(await commands(0)).toEqual(['Group.CallbackAfterGroupInfoChanged', 'timhook.Reconciled']);
  expect(await commands(1)).toEqual(['Group.CallbackAfterGroupInfoChanged']);
});
