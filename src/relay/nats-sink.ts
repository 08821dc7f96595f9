import { connect, createInbox, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { type DeliveryOutcome, describeError, type Sink, settleWithin } from './sink.js';
import type { NatsSinkSettings, SinkSecrets } from './sink-config.js';
import { compileTemplate, escapeToken } from './template.js';

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Connected {
  nc: NatsConnection;
  /** The subject prefix JetStream acknowledges to: `<inbox>.<token>`, one token per publish. */
  inbox: string;
  waiting: Map<string, Waiter>;
  /** False between a `disconnect` and the following `reconnect`. */
  up: boolean;
}

/** What JetStream answers to a publish: its `PubAck`, or an error. */
interface PubAckReply {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code?: number; err_code?: number; description?: string };
}

/**
 * The NATS JetStream sink: publishes each message to its subject (`timhook.group.{groupId}`) with
 * `Nats-Msg-Id` set to the message id, so JetStream drops a re-send within the stream's duplicate
 * window. Publishing is asynchronous, as JetStream's own clients do it: every message of a window
 * goes out at once with a reply subject on one inbox, and the acknowledgements are matched as they
 * come back (a request per message costs several times more). One connection keeps the order.
 */
export function createNatsSink(settings: NatsSinkSettings, secrets: SinkSecrets): Sink {
  const subjectOf = compileTemplate(settings.subject, escapeToken);
  let current: Connected | null = null;
  let connecting: Promise<Connected> | null = null;
  let closed = false;
  let tokens = 0;

  async function open(): Promise<Connected> {
    const nc = await connect({
      servers: settings.servers,
      name: `timhook-relay-${settings.name}`,
      timeout: settings.timeoutMs,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      noAsyncTraces: true,
      ...(settings.user !== undefined ? { user: settings.user } : {}),
      ...(secrets.password !== undefined ? { pass: secrets.password } : {}),
      ...(secrets.token !== undefined ? { token: secrets.token } : {}),
    });
    const link: Connected = { nc, inbox: createInbox(), waiting: new Map(), up: true };
    nc.subscribe(`${link.inbox}.*`, { callback: (_error, msg) => settleAck(link, msg) });
    (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') link.up = false;
        else if (status.type === 'reconnect') link.up = true;
      }
    })().catch(() => {});
    nc.closed().then(() => {
      link.up = false;
      if (current === link) current = null;
      for (const waiter of link.waiting.values()) waiter.reject(new Error('connection closed'));
      link.waiting.clear();
    });
    return link;
  }

  function settleAck(link: Connected, msg: Msg): void {
    const token = msg.subject.slice(link.inbox.length + 1);
    const waiter = link.waiting.get(token);
    if (!waiter) return;
    link.waiting.delete(token);
    if (msg.headers?.code === 503) {
      waiter.reject(new Error('no JetStream stream captures the subject (503 no responders)'));
      return;
    }
    let ack: PubAckReply;
    try {
      ack = JSON.parse(new TextDecoder().decode(msg.data)) as PubAckReply;
    } catch {
      waiter.reject(new Error('JetStream answered something that is not a PubAck'));
      return;
    }
    // A duplicate acknowledgement (the id was seen within the duplicate window) is a delivery too.
    if (ack.error) {
      const code = ack.error.err_code ?? ack.error.code;
      waiter.reject(
        new Error(`JetStream refused the message: ${ack.error.description ?? 'error'} (${code})`),
      );
    } else waiter.resolve();
  }

  async function connection(): Promise<Connected> {
    if (current && !current.nc.isClosed()) return current;
    connecting ??= open().finally(() => {
      connecting = null;
    });
    current = await connecting;
    if (closed) await current.nc.close();
    return current;
  }

  return {
    name: settings.name,
    type: 'nats',
    async deliver(messages) {
      let link: Connected;
      try {
        link = await connection();
      } catch (error) {
        const failure: DeliveryOutcome = { kind: 'unreachable', message: describeError(error) };
        return messages.map(() => failure);
      }
      // While the client reconnects it would buffer publishes; say "unreachable" at once instead.
      if (!link.up) return messages.map(() => ({ kind: 'unreachable', message: 'disconnected from NATS' }));
      const issued: string[] = [];
      const acks = messages.map((message) => {
        const token = String(++tokens);
        issued.push(token);
        const acked = new Promise<void>((resolve, reject) => link.waiting.set(token, { resolve, reject }));
        const h = headers();
        h.set('Nats-Msg-Id', message.id);
        try {
          link.nc.publish(subjectOf(message.event), message.body, {
            headers: h,
            reply: `${link.inbox}.${token}`,
          });
        } catch (error) {
          link.waiting.get(token)?.reject(error as Error);
          link.waiting.delete(token);
        }
        return acked;
      });
      const settled = await settleWithin(settings.timeoutMs, acks);
      for (const token of issued) link.waiting.delete(token); // late acks find nothing to settle
      return settled.map((result): DeliveryOutcome => {
        if (result.status === 'fulfilled') return null;
        const message = describeError(result.reason);
        return link.up && !link.nc.isClosed()
          ? { kind: 'failed', message }
          : { kind: 'unreachable', message };
      });
    },
    async close() {
      closed = true;
      const link = current ?? (await connecting?.catch(() => null)) ?? null;
      current = null;
      if (link && !link.nc.isClosed()) await link.nc.close().catch(() => {});
    },
  };
}
