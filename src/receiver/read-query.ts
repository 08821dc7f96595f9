import { type CallbackQuery, normalizeOptPlatform, readCallbackQuery } from '../protocol/index.js';

type Name = keyof CallbackQuery;

/**
 * Reads the callback parameters from a URL's query string (without the `?`), with exactly the
 * result of `readCallbackQuery(new URLSearchParams(search))`: the first of repeated names wins.
 * It runs on every callback, so it compares names in place and cuts out only the values it keeps
 * (the receiver benchmark); a name or value holding `%` or `+` is decoded by `URLSearchParams`
 * itself, so decoding never differs.
 */
export function readQueryString(search: string): CallbackQuery {
  const found: CallbackQuery = {
    SdkAppid: null,
    CallbackCommand: null,
    contenttype: null,
    ClientIP: null,
    OptPlatform: null,
    Sign: null,
    RequestTime: null,
  };
  const length = search.length;
  // Like URLSearchParams, a leading `?` is not part of the first name.
  let start = search.charCodeAt(0) === 0x3f ? 1 : 0;
  // The next `=` at or after `start`, or -1 when none is left: kept across pairs so that a query
  // of many pairs without `=` is still read in linear time.
  let eq = -2;
  while (start < length) {
    let end = search.indexOf('&', start);
    if (end < 0) end = length;
    if (end > start) {
      if (eq !== -1 && eq < start) eq = search.indexOf('=', start);
      const split = eq >= 0 && eq < end ? eq : end;
      const name = nameAt(search, start, split);
      if (name !== undefined && found[name] === null) {
        found[name] = split < end ? decode(search.slice(split + 1, end)) : '';
      }
    }
    start = end + 1;
  }
  found.OptPlatform = normalizeOptPlatform(found.OptPlatform);
  return found;
}

/** Which callback parameter `search[start, end)` names, if any, compared in place. */
function nameAt(search: string, start: number, end: number): Name | undefined {
  switch (end - start) {
    case 4:
      if (search.startsWith('Sign', start)) return 'Sign';
      break;
    case 8:
      if (search.startsWith('SdkAppid', start)) return 'SdkAppid';
      if (search.startsWith('ClientIP', start)) return 'ClientIP';
      break;
    case 11:
      if (search.startsWith('RequestTime', start)) return 'RequestTime';
      if (search.startsWith('OptPlatform', start)) return 'OptPlatform';
      if (search.startsWith('contenttype', start)) return 'contenttype';
      break;
    case 15:
      if (search.startsWith('CallbackCommand', start)) return 'CallbackCommand';
      break;
  }
  // An encoded name (`Sdk%41ppid`) is rare: decode it and look again.
  const raw = search.slice(start, end);
  if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) return undefined;
  const decoded = decode(raw);
  return NAMES.find((name) => name === decoded);
}

const NAMES: readonly Name[] = [
  'SdkAppid',
  'CallbackCommand',
  'contenttype',
  'ClientIP',
  'OptPlatform',
  'Sign',
  'RequestTime',
];

function decode(part: string): string {
  if (part.indexOf('%') < 0 && part.indexOf('+') < 0) return part;
  return new URLSearchParams(`x=${part}`).get('x') ?? '';
}

/** The query of a URL or path (`/callback?…`), or `''`; ignores a `#fragment`. */
export function querySearchOf(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return '';
  const hash = url.indexOf('#', at);
  return hash < 0 ? url.slice(at + 1) : url.slice(at + 1, hash);
}

/** The callback parameters, from search params or from a query string. */
export function readQuery(query: URLSearchParams | string): CallbackQuery {
  return typeof query === 'string' ? readQueryString(query) : readCallbackQuery(query);
}
