import { utf8ByteLength } from './limits.js';

// What a receiver accepts as an id or a name, so that every accepted value is stored, listed and
// put in a URL path exactly as it came (docs/ids.md). The documented ids are far shorter (printable
// ASCII under 48 bytes for a group, 96 for a topic, see ids.ts): the bound leaves room for ids
// Tencent may issue later, and stays far below what an HTTP request line holds once URL-encoded.

/** Longest id a receiver accepts: `GroupId`, `TopicId`, each `TopicIdList` entry, an account. */
export const MAX_ID_BYTES = 128;

const CONTROL = /\p{Cc}/u;
// With the `u` flag a surrogate pair is one code point: only a lone surrogate matches.
const LONE_SURROGATE = /\p{Cs}/u;
// Quick code-unit scans that every honest value passes; only a value they stop looks further.
/* eslint-disable no-control-regex -- control characters are what these look for */
const MAYBE_BAD_TEXT = /[\u0000\ud800-\udfff]/;
const MAYBE_BAD_ID = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/;
/* eslint-enable no-control-regex */

/** `U+0000`-style name of the code unit at `index`. */
function codeUnitName(text: string, index: number): string {
  return `U+${text.charCodeAt(index).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Why `text` cannot be stored as text, or `null` when it can: it holds no U+0000 (PostgreSQL's
 * `text` cannot) and no lone surrogate (it is not Unicode, and UTF-8 cannot encode it).
 */
export function checkText(text: string): string | null {
  if (!MAYBE_BAD_TEXT.test(text)) return null;
  const nul = text.indexOf('\u0000');
  if (nul >= 0) return `text must not hold U+0000 (at index ${nul})`;
  const lone = LONE_SURROGATE.exec(text);
  if (lone)
    return `text must not hold lone surrogate ${codeUnitName(text, lone.index)} (at index ${lone.index})`;
  return null;
}

/**
 * Why `id` breaks the id rules, or `null` when it keeps them: at most {@link MAX_ID_BYTES} UTF-8
 * bytes, no control character (C0, DEL, C1), and text by {@link checkText}.
 *
 * @example checkId('@TGS#\u0000') // 'an id must not hold control character U+0000 (at index 5)'
 */
export function checkId(id: string): string | null {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: a short id needs no count.
  if (id.length > MAX_ID_BYTES / 3) {
    const bytes = utf8ByteLength(id);
    if (bytes > MAX_ID_BYTES) return `an id is at most ${MAX_ID_BYTES} UTF-8 bytes (it has ${bytes})`;
  }
  if (!MAYBE_BAD_ID.test(id)) return null;
  const control = CONTROL.exec(id);
  if (control) {
    return `an id must not hold control character ${codeUnitName(id, control.index)} (at index ${control.index})`;
  }
  return checkText(id);
}
