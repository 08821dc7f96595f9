import { describe, expect, it } from 'vitest';
import { Commands, isKnownCommand, isProfileChangeCommand } from '../../src/protocol/commands.js';

describe('Commands', () => {
  it('names the two mission callbacks and the four lifecycle ones exactly as Chat sends them', () => {
    expect(Commands).toEqual({
      GroupInfoChanged: 'Group.CallbackAfterGroupInfoChanged',
      TopicInfoChanged: 'Group.CallbackAfterTopicInfoChanged',
      CreateGroup: 'Group.CallbackAfterCreateGroup',
      GroupDestroyed: 'Group.CallbackAfterGroupDestroyed',
      CreateTopic: 'Group.CallbackAfterCreateTopic',
      TopicDestroyed: 'Group.CallbackAfterTopicDestroyed',
    });
  });
});

describe('isKnownCommand', () => {
  it('knows every command of Commands', () => {
    for (const command of Object.values(Commands)) expect(isKnownCommand(command), command).toBe(true);
  });

  it('does not know other Chat callbacks, other spellings, or names of Object.prototype', () => {
    for (const command of [
      'Group.CallbackAfterNewMemberJoin',
      'group.callbackaftergroupinfochanged',
      'GroupInfoChanged',
      'constructor',
      '',
    ]) {
      expect(isKnownCommand(command), command).toBe(false);
    }
  });
});

describe('isProfileChangeCommand', () => {
  it('is true only for the group and topic profile change callbacks', () => {
    expect(isProfileChangeCommand(Commands.GroupInfoChanged)).toBe(true);
    expect(isProfileChangeCommand(Commands.TopicInfoChanged)).toBe(true);
    for (const command of [
      Commands.CreateGroup,
      Commands.GroupDestroyed,
      Commands.CreateTopic,
      Commands.TopicDestroyed,
    ]) {
      expect(isProfileChangeCommand(command), command).toBe(false);
    }
  });
});
