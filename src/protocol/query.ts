import { normalizeOptPlatform } from './platform.js';

/**
 * The query of a callback URL (docs/protocol.md §1). Names are case-sensitive (`SdkAppid`); every value
 * is `null` when absent.
 */
export interface CallbackQuery {
  SdkAppid: string | null;
  CallbackCommand: string | null;
  contenttype: string | null;
  ClientIP: string | null;
  /** Normalised: `macOS` → `Mac`, `IOS` → `iOS`, unknown values as sent. */
  OptPlatform: string | null;
  Sign: string | null;
  RequestTime: string | null;
}

/** Reads the callback parameters from a URL's search params. */
export function readCallbackQuery(params: URLSearchParams): CallbackQuery {
  return {
    SdkAppid: params.get('SdkAppid'),
    CallbackCommand: params.get('CallbackCommand'),
    contenttype: params.get('contenttype'),
    ClientIP: params.get('ClientIP'),
    OptPlatform: normalizeOptPlatform(params.get('OptPlatform')),
    Sign: params.get('Sign'),
    RequestTime: params.get('RequestTime'),
  };
}

/** What a callback URL carries, to build one (`Sign`/`RequestTime` only when signing). */
export interface CallbackUrlParts {
  sdkAppId: string;
  command: string;
  clientIp?: string;
  optPlatform?: string;
  sign?: { sign: string; requestTime: string | number };
}

/** Builds `base?SdkAppid=…&CallbackCommand=…&contenttype=json&ClientIP=…&OptPlatform=…[&Sign&RequestTime]`. */
export function buildCallbackUrl(base: string, parts: CallbackUrlParts): string {
  const url = new URL(base);
  url.searchParams.set('SdkAppid', parts.sdkAppId);
  url.searchParams.set('CallbackCommand', parts.command);
  url.searchParams.set('contenttype', 'json');
  url.searchParams.set('ClientIP', parts.clientIp ?? '127.0.0.1');
  url.searchParams.set('OptPlatform', parts.optPlatform ?? 'RESTAPI');
  if (parts.sign) {
    url.searchParams.set('Sign', parts.sign.sign);
    url.searchParams.set('RequestTime', String(parts.sign.requestTime));
  }
  return url.toString();
}
