import { connect, createInbox, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { type AckWindow, createAckWindow } from './ack-window.js';
import { type DeliveryOutcome, describeError, type Sink } from './sink.js';
import type { NatsSinkSettings, SinkSecrets } from './sink-config.js';
import { compileTemplate, escapeToken } from './template.js';

/** A publish waiting for its PubAck: message `index` of a window. */
interface Waiter {
  acks: AckWindow;
  index: number;
}

interface Connected {
  nc: NatsConnection;
  /** The subject prefix JetStream acknowledges to: `<inbox>.<token>`, one token per publish. */
  inbox: string;
  waiting: Map<number, Waiter>;
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

const decoder = new TextDecoder();

/**
 * The NATS JetStream sink: publishes each message to its subject (`timhook.group.{groupId}`) with
 * `Nats-Msg-Id` set to the message id, so JetStream drops a re-send within the stream's duplicate
 * window. Publishing is asynchronous, as JetStream's own clients do it: every message of a window
 * goes out at once with a reply subject on one inbox, and the acknowledgements are matched as they
 * come back (a request per message costs several times more). One connection keeps the order, also
 * across windows: the sink is pipelined.
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
        if (status.type === 'disconnect') {
          link.up = false;
          // What was in flight is lost or stored without its PubAck: fail it now, so that the
          // relay sends it again before anything later (order), rather than at the timeout.
          failWaiting(link, new Error('disconnected from NATS'));
        } else if (status.type === 'reconnect') link.up = true;
      }
    })().catch(() => {});
    // closed() never rejects: it resolves with the error that closed the connection, if any.
    void nc.closed().then(() => {
      link.up = false;
      if (current === link) current = null;
      failWaiting(link, new Error('connection closed'));
    });
    return link;
  }

  function failWaiting(link: Connected, error: Error): void {
    for (const waiter of link.waiting.values()) waiter.acks.fail(waiter.index, error);
    link.waiting.clear();
  }

  function settleAck(link: Connected, msg: Msg): void {
    const token = Number(msg.subject.slice(link.inbox.length + 1));
    const waiter = link.waiting.get(token);
    if (!waiter) return;
    link.waiting.delete(token);
    const { acks, index } = waiter;
    if (msg.headers?.code === 503) {
      acks.fail(index, new Error('no JetStream stream captures the subject (503 no responders)'));
      return;
    }
    const text = decoder.decode(msg.data);
    // A PubAck is `{"stream":…,"seq":…}`; only a refusal carries "error" (a value cannot: strings
    // in JSON escape their quotes). A duplicate acknowledgement (the id was seen within the
    // duplicate window) is a delivery too.
    if (!text.includes('"error"') && text.startsWith('{')) {
      acks.ack(index);
      return;
    }
    let ack: PubAckReply;
    try {
      ack = JSON.parse(text) as PubAckReply;
    } catch {
      acks.fail(index, new Error('JetStream answered something that is not a PubAck'));
      return;
    }
    if (ack.error) {
      const code = ack.error.err_code ?? ack.error.code;
      acks.fail(
        index,
        new Error(`JetStream refused the message: ${ack.error.description ?? 'error'} (${code})`),
      );
    } else acks.ack(index);
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
    pipelined: true,
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
      const acks = createAckWindow(messages.length);
      const first = tokens + 1;
      for (let index = 0; index < messages.length; index++) {
        const message = messages[index]!;
        const token = ++tokens;
        link.waiting.set(token, { acks, index });
        const h = headers();
        h.set('Nats-Msg-Id', message.id);
        try {
          link.nc.publish(subjectOf(message), message.body, {
            headers: h,
            reply: `${link.inbox}.${token}`,
          });
        } catch (error) {
          link.waiting.delete(token);
          acks.fail(index, error);
        }
      }
      await acks.settle(settings.timeoutMs);
      for (let token = first; token < first + messages.length; token++) {
        link.waiting.delete(token); // late acks find nothing to settle
      }
      return acks.outcomes((error): DeliveryOutcome => {
        const message = describeError(error);
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
