import { hostname } from 'node:os';

/** A lease owner id: host, process and a nonce, so a dead process on this host can be recognised. */
export function relayOwnerId(nonce: string): string {
  return `${hostname()}:${process.pid}:${nonce}`;
}

/**
 * Whether a lease owner id names a process of this host that no longer runs (it was SIGKILLed):
 * its lease can be taken at once rather than when it expires.
 */
export function isDeadLocalOwner(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== hostname() || pid === undefined || !/^\d+$/.test(pid)) return false;
  if (Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
