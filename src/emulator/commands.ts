import type { CommandHandler } from './command-context.js';
import { createGroup, destroyGroup, modifyGroupBaseInfo } from './group-commands.js';
import { getAppidGroupList, getGroupInfo } from './group-reads.js';
import { createTopic, destroyTopic, getTopic, modifyTopic } from './topic-commands.js';

/** The REST commands the emulator serves, by `<service>/<command>` (docs/protocol.md §4). */
export const REST_COMMANDS: ReadonlyMap<string, CommandHandler> = new Map([
  ['group_open_http_svc/create_group', createGroup],
  ['group_open_http_svc/get_appid_group_list', getAppidGroupList],
  ['group_open_http_svc/get_group_info', getGroupInfo],
  ['group_open_http_svc/modify_group_base_info', modifyGroupBaseInfo],
  ['group_open_http_svc/destroy_group', destroyGroup],
  ['million_group_open_http_svc/create_topic', createTopic],
  ['million_group_open_http_svc/get_topic', getTopic],
  ['million_group_open_http_svc/modify_topic', modifyTopic],
  ['million_group_open_http_svc/destroy_topic', destroyTopic],
]);

/** The changes a simulated app user can make, by command name (the client face). */
export const CLIENT_COMMANDS: ReadonlyMap<string, CommandHandler> = new Map([
  ['modify_group_base_info', modifyGroupBaseInfo],
  ['modify_topic', modifyTopic],
]);
