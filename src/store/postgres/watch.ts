import { createHash } from 'node:crypto';
import type { PostgresPool } from './connect.js';

/** The listeners of one change log's appends by other instances. */
export interface AppendWatch {
  /** Adds `listener`; returns the function that removes it. */
  add(listener: (lastSeq: number) => void): () => void;
  /** Stops calling every listener (the listen connection ends with the pool). */
  clear(): void;
}

/** What the watch needs to know about its log. */
export interface WatchScope {
  channel: string;
  /** This instance: a payload `<instanceId>:<lastSeq>` from it is its own append, not reported. */
  instanceId: string;
  /** The log's last seq, told to listeners after a reconnect (see {@link listenForAppends}). */
  readLastSeq: () => Promise<number>;
  /** Told when a listener throws or a read fails; the other listeners are still called. */
  onError: (error: unknown) => void;
}

/**
 * The NOTIFY channel of the log in `schema`: one per schema, so that logs sharing a database do not
 * wake each other. A channel name has at most 63 bytes; a longer one is hashed.
 */
export function toChannel(schema: string): string {
  const name = schema === 'public' ? 'timhook_events' : `timhook_events.${schema}`;
  if (Buffer.byteLength(name) <= 63) return name;
  return `timhook_events.${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
}

/**
 * LISTENs on the log's channel, on a connection of its own, before resolving: an append committed
 * by another instance after this resolves reaches the listeners. Appends NOTIFY inside their
 * transaction (postgres/append.ts), so a notification arrives only once its events are readable.
 */
export async function listenForAppends(sql: PostgresPool, scope: WatchScope): Promise<AppendWatch> {
  const listeners = new Set<(lastSeq: number) => void>();
  let listening = false;

  function tell(lastSeq: number): void {
    for (const listener of [...listeners]) {
      try {
        listener(lastSeq);
      } catch (error) {
        scope.onError(error);
      }
    }
  }

  function receive(payload: string): void {
    const at = payload.lastIndexOf(':');
    if (payload.slice(0, at) === scope.instanceId) return;
    const lastSeq = Number(payload.slice(at + 1));
    if (Number.isSafeInteger(lastSeq)) tell(lastSeq);
  }

  // postgres.js calls this again when it listens anew after losing the connection; whatever was
  // notified in between is lost, so listeners are woken to read the log on from where they are.
  function onListen(): void {
    if (!listening) {
      listening = true;
      return;
    }
    if (listeners.size === 0) return;
    scope.readLastSeq().then(tell, scope.onError);
  }

  await sql.listen(scope.channel, receive, onListen);
  return {
    add(listener) {
      // A function added twice is still removed by its own unsubscribe only.
      const own = (lastSeq: number) => listener(lastSeq);
      listeners.add(own);
      return () => {
        listeners.delete(own);
      };
    },
    clear() {
      listeners.clear();
    },
  };
}
