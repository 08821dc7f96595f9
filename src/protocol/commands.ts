/**
 * The callback commands timhook understands (docs/protocol.md §2). Any other command is still a valid
 * Chat callback: the receiver passes it on untyped.
 */
export const Commands = {
  GroupInfoChanged: 'Group.CallbackAfterGroupInfoChanged',
  TopicInfoChanged: 'Group.CallbackAfterTopicInfoChanged',
  CreateGroup: 'Group.CallbackAfterCreateGroup',
  GroupDestroyed: 'Group.CallbackAfterGroupDestroyed',
  CreateTopic: 'Group.CallbackAfterCreateTopic',
  TopicDestroyed: 'Group.CallbackAfterTopicDestroyed',
} as const;

/** A command with a typed body schema. */
export type Command = (typeof Commands)[keyof typeof Commands];

const known: ReadonlySet<string> = new Set(Object.values(Commands));

/** True when `command` is one of {@link Commands}. */
export function isKnownCommand(command: string): command is Command {
  return known.has(command);
}

/** The commands that change a profile field (the two of the seed documents). */
export function isProfileChangeCommand(command: string): boolean {
  return command === Commands.GroupInfoChanged || command === Commands.TopicInfoChanged;
}
