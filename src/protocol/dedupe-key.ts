import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * The key that makes a re-delivered callback a duplicate (docs/recorder.md, "Duplicates"): derived
 * from the command and the body. A retry-on-timeout re-sends the same body with a fresh
 * `Sign`/`RequestTime`, so the query is left out.
 */
export function dedupeKey(sdkAppId: string, command: string, rawBody: string): string {
  return bytesToHex(sha256(utf8ToBytes(`${sdkAppId}\n${command}\n${rawBody}`)));
}
