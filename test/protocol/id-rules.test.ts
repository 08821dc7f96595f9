import { describe, expect, it } from 'vitest';
import { checkId, checkText, MAX_ID_BYTES, utf8ByteLength } from '../../src/protocol/index.js';

describe('checkId', () => {
  it.each([
    ['a generated group id', '@TGS#2J4SZEAEL'],
    ['a Community id', '@TGS#_@TGS#COMMUNITY1'],
    ['a topic id', '@TGS#_@TGS#COMMUNITY1@TOPIC#_@TOPIC#TOPICONE'],
    ['an id with a space, `/`, `%`, `?`, `#`, `&` and `+`', 'a/b %2F?c#d&e=f+g'],
    ['CJK', '测试群组'],
    ['an emoji with a skin-tone modifier (surrogate pairs)', '👍🏽'],
    ['a combining mark', 'cafe\u0301'],
    ['U+FFFD, a character like any other', 'g\ufffd'],
    ['42 CJK characters (126 bytes)', '群'.repeat(42)],
    ['32 emoji (exactly 128 bytes)', '😀'.repeat(32)],
    ['128 ASCII characters', 'x'.repeat(128)],
  ])('accepts %s', (_what, id) => {
    expect(checkId(id)).toBeNull();
  });

  it.each([
    ['129 ASCII characters', 'x'.repeat(129), 129],
    ['43 CJK characters', '群'.repeat(43), 129],
    ['33 emoji', '😀'.repeat(33), 132],
    ['16 KB', 'x'.repeat(16_384), 16_384],
  ])('refuses an id over 128 UTF-8 bytes: %s', (_what, id, bytes) => {
    expect(utf8ByteLength(id)).toBe(bytes);
    expect(checkId(id)).toBe(`an id is at most ${MAX_ID_BYTES} UTF-8 bytes (it has ${bytes})`);
  });

  it.each([
    ['U+0000', 'a\u0000'],
    ['U+0001', 'a\u0001'],
    ['U+0009', 'a\t'],
    ['U+000A', 'a\n'],
    ['U+000D', 'a\r'],
    ['U+001F', 'a\u001f'],
    ['U+007F', 'a\u007f'],
    ['U+0080', 'a\u0080'],
    ['U+0085', 'a\u0085'],
    ['U+009F', 'a\u009f'],
  ])('refuses control character %s and says where it is', (name, id) => {
    expect(checkId(id)).toBe(`an id must not hold control character ${name} (at index 1)`);
  });

  it.each([
    ['a high surrogate at the end', 'ab\ud83d', 'U+D83D', 2],
    ['a low surrogate at the start', '\ude00ab', 'U+DE00', 0],
    ['a pair in the wrong order', 'a\ude00\ud83d', 'U+DE00', 1],
    ['a high surrogate before a letter', 'a\ud800b', 'U+D800', 1],
  ])('refuses %s', (_what, id, name, index) => {
    expect(checkId(id)).toBe(`text must not hold lone surrogate ${name} (at index ${index})`);
  });

  it('checks the length first: a 16 KB id full of NULs is refused for its length', () => {
    expect(checkId('\u0000'.repeat(16_384))).toMatch(/^an id is at most 128 UTF-8 bytes/);
  });
});

describe('checkText', () => {
  it.each([
    ['plain text', 'NewGroupName'],
    ['CJK, emoji and combining marks', '群名 👍🏽 cafe\u0301'],
    ['line breaks, tabs and other control characters but U+0000', 'a\tb\nc\r\u0001\u007f\u0085'],
    ['an empty string', ''],
    ['U+FFFD', '\ufffd'],
  ])('accepts %s', (_what, text) => {
    expect(checkText(text)).toBeNull();
  });

  it('refuses U+0000 and says where it is', () => {
    expect(checkText('ab\u0000c')).toBe('text must not hold U+0000 (at index 2)');
  });

  it('refuses a lone surrogate and names it', () => {
    expect(checkText('👍\ud83d')).toBe('text must not hold lone surrogate U+D83D (at index 2)');
  });
});
