import { describe, expect, it } from 'vitest';
import {
  COMMUNITY_ID_PREFIX,
  checkCustomGroupId,
  checkCustomTopicPart,
  communityIdOf,
  GROUP_ID_PREFIX,
  generateGroupId,
  isTopicId,
  MAX_TOPIC_ID_BYTES,
  makeTopicId,
  randomIdPart,
  TOPIC_MARKER,
} from '../../src/protocol/ids.js';

const COMMUNITY = '@TGS#_@TGS#cQVLVHIM62CJ';
const TOPIC = `${COMMUNITY}@TOPIC#_@TOPIC#cYWHVHIM62CP`;

describe('the id constants', () => {
  it('match docs/protocol.md §3', () => {
    expect(GROUP_ID_PREFIX).toBe('@TGS#');
    expect(COMMUNITY_ID_PREFIX).toBe('@TGS#_');
    expect(TOPIC_MARKER).toBe('@TOPIC#_');
    expect(MAX_TOPIC_ID_BYTES).toBe(96);
  });
});

describe('isTopicId and communityIdOf', () => {
  it('recognise a topic id and give the community before @TOPIC#_', () => {
    expect(isTopicId(TOPIC)).toBe(true);
    expect(communityIdOf(TOPIC)).toBe(COMMUNITY);
  });

  it('recognise a topic id with a custom part', () => {
    const topic = `${COMMUNITY}@TOPIC#_announcements`;
    expect(isTopicId(topic)).toBe(true);
    expect(communityIdOf(topic)).toBe(COMMUNITY);
  });

  it('treat a group id or a community id as no topic and give it back unchanged', () => {
    for (const id of ['@TGS#2J4SZEAEL', COMMUNITY, 'my-custom-group', '']) {
      expect(isTopicId(id), id).toBe(false);
      expect(communityIdOf(id), id).toBe(id);
    }
  });

  it('do not take an id that starts with the marker for a topic of an empty community', () => {
    expect(isTopicId('@TOPIC#_orphan')).toBe(false);
    expect(communityIdOf('@TOPIC#_orphan')).toBe('@TOPIC#_orphan');
  });
});

describe('checkCustomGroupId', () => {
  it('accepts a printable ASCII id under 48 bytes that does not start with @TGS#', () => {
    expect(checkCustomGroupId('team-42', 'Public')).toBeNull();
    expect(checkCustomGroupId('a!"$%&()*+,-./:;<=>?@[\\]^_`{|}~', 'Private')).toBeNull();
    expect(checkCustomGroupId('x'.repeat(47), 'ChatRoom')).toBeNull();
  });

  it('refuses an id of 48 bytes or more', () => {
    expect(checkCustomGroupId('x'.repeat(48), 'Public')).toBe('a group id is under 48 bytes');
    expect(checkCustomGroupId('x'.repeat(100), 'Public')).toBe('a group id is under 48 bytes');
  });

  it('refuses an id that is not printable ASCII', () => {
    for (const id of ['群组', 'tab\tid', 'new\nline', 'bell\u0007', 'del\u007f', '']) {
      expect(checkCustomGroupId(id, 'Public'), JSON.stringify(id)).toBe('a group id is printable ASCII');
    }
  });

  it('refuses a non-Community id that starts with @TGS#', () => {
    expect(checkCustomGroupId('@TGS#mine', 'Public')).toBe('a custom group id must not start with @TGS#');
    expect(checkCustomGroupId('@TGS#_mine', 'Private')).toBe('a custom group id must not start with @TGS#');
  });

  it('requires a Community id to start with @TGS#_', () => {
    expect(checkCustomGroupId('@TGS#_my-community', 'Community')).toBeNull();
    expect(checkCustomGroupId('my-community', 'Community')).toBe('a Community id starts with @TGS#_');
    expect(checkCustomGroupId('@TGS#my-community', 'Community')).toBe('a Community id starts with @TGS#_');
  });

  it('refuses an id that contains the topic marker, which would read as a topic id', () => {
    expect(checkCustomGroupId('@TGS#_c@TOPIC#_t', 'Community')).toBe('a group id must not contain @TOPIC#_');
    expect(checkCustomGroupId('g@TOPIC#_t', 'Public')).toBe('a group id must not contain @TOPIC#_');
  });
});

describe('checkCustomTopicPart', () => {
  it('accepts a printable part that keeps the whole topic id within 96 bytes', () => {
    expect(checkCustomTopicPart(COMMUNITY, 'general')).toBeNull();
    const room = MAX_TOPIC_ID_BYTES - COMMUNITY.length - TOPIC_MARKER.length;
    expect(checkCustomTopicPart(COMMUNITY, 'p'.repeat(room))).toBeNull();
    expect(makeTopicId(COMMUNITY, 'p'.repeat(room))).toHaveLength(96);
  });

  it('refuses a part that makes the topic id longer than 96 bytes', () => {
    const room = MAX_TOPIC_ID_BYTES - COMMUNITY.length - TOPIC_MARKER.length;
    expect(checkCustomTopicPart(COMMUNITY, 'p'.repeat(room + 1))).toBe('a topic id is at most 96 bytes');
  });

  it('refuses a part that is not printable ASCII', () => {
    expect(checkCustomTopicPart(COMMUNITY, '话题')).toBe('a topic id is printable ASCII');
    expect(checkCustomTopicPart(COMMUNITY, 'a b')).toBe('a topic id is printable ASCII');
    expect(checkCustomTopicPart(COMMUNITY, '')).toBe('a topic id is printable ASCII');
  });
});

describe('generated ids', () => {
  it('give a group id of @TGS# and upper-case letters and digits', () => {
    for (const type of ['Public', 'Private', 'ChatRoom', 'AVChatRoom']) {
      const id = generateGroupId(type);
      expect(id).toMatch(/^@TGS#[A-Z0-9]{10}$/);
      expect(checkCustomGroupId(id, type)).not.toBeNull();
    }
  });

  it('give a Community id of @TGS#_@TGS# and letters and digits, valid as a Community id', () => {
    const id = generateGroupId('Community');
    expect(id).toMatch(/^@TGS#_@TGS#[A-Z0-9]{10}$/);
    expect(checkCustomGroupId(id, 'Community')).toBeNull();
  });

  it('give a topic id of the community, @TOPIC#_ and a generated @TOPIC# part', () => {
    const id = makeTopicId(COMMUNITY);
    expect(id.startsWith(`${COMMUNITY}@TOPIC#_@TOPIC#`)).toBe(true);
    expect(id.slice(`${COMMUNITY}@TOPIC#_@TOPIC#`.length)).toMatch(/^[A-Z0-9]{10}$/);
    expect(isTopicId(id)).toBe(true);
    expect(communityIdOf(id)).toBe(COMMUNITY);
    expect(id.length).toBeLessThanOrEqual(MAX_TOPIC_ID_BYTES);
  });

  it('give a topic id with the custom part as given', () => {
    expect(makeTopicId(COMMUNITY, 'general')).toBe(`${COMMUNITY}@TOPIC#_general`);
  });

  it('do not repeat', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => generateGroupId('Public')));
    expect(ids.size).toBe(1000);
  });

  it('give random parts of the asked length from the documented alphabet, every character in use', () => {
    expect(randomIdPart(0)).toBe('');
    const part = randomIdPart(5000);
    expect(part).toMatch(/^[A-Z0-9]{5000}$/);
    expect(new Set(part).size).toBe(36);
  });
});
