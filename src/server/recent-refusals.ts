/** One refused callback, as kept for operators: never the token, the Sign or the body. */
export interface Refusal {
  at: number;
  code: string;
  errorCode: number;
  status: number;
  message: string;
  command: string | null;
  sdkAppId: string | null;
  clientIp: string | null;
  remoteAddress: string | null;
}

/** A bounded ring of the most recent refusals, newest first when listed. */
export interface RecentRefusals {
  add(refusal: Refusal): void;
  list(): Refusal[];
}

/** Keeps the last `capacity` refusals (default 200). */
export function createRecentRefusals(capacity = 200): RecentRefusals {
  const ring: Refusal[] = [];
  let next = 0;
  return {
    add(refusal) {
      if (ring.length < capacity) ring.push(refusal);
      else ring[next] = refusal;
      next = (next + 1) % capacity;
    },
    list() {
      const ordered = ring.length < capacity ? [...ring] : [...ring.slice(next), ...ring.slice(0, next)];
      return ordered.reverse();
    },
  };
}
