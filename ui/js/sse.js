// The live stream, read with fetch: EventSource cannot send the Authorization header. A small
// parser of the Server-Sent Events format (html.spec.whatwg.org "Parsing an event stream") and a
// connection that reconnects with Last-Event-ID, so nothing is missed or shown twice.

import { askToken, authHeaders, withQuery } from './api.js';

/**
 * Parses an event stream fed in chunks of text; calls `onMessage({ id, event, data })` for each
 * event, and `onRetry(ms)` for each `retry:` field.
 */
export function createSseParser(onMessage, onRetry = () => {}) {
  let buffer = '';
  let skipLf = false;
  let data = [];
  let event = '';
  let id = null;

  function line(text) {
    if (text === '') {
      if (data.length > 0) onMessage({ id, event: event || 'message', data: data.join('\n') });
      data = [];
      event = '';
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) onRetry(Number(value));
  }

  return {
    push(chunk) {
      let text = chunk;
      if (skipLf && text.startsWith('\n')) text = text.slice(1);
      skipLf = false;
      buffer += text;
      for (;;) {
        const match = /\r\n|\r|\n/.exec(buffer);
        if (!match) break;
        // A CR at the very end may be the first half of a CRLF split across chunks.
        if (match[0] === '\r' && match.index === buffer.length - 1) skipLf = true;
        line(buffer.slice(0, match.index));
        buffer = buffer.slice(match.index + match[0].length);
      }
    },
  };
}

/**
 * Follows `/api/stream` with `params`, from after `lastId` (null: from now). Calls
 * `onEvent(recordedEvent)` for each change (each seq once, in order), `onReconcile(passState)` for
 * each progress frame of a reconciliation pass, `onState('live' | 'reconnecting' | 'connecting')`.
 * Reconnects after a drop or a recorder restart, resuming from the last id seen. Returns `stop()`.
 */
export function followStream({ params, lastId, onEvent, onState, onReconcile = () => {} }) {
  let stopped = false;
  let controller = null;
  let last = lastId;
  let attempt = 0;
  let retryMs = 2000;
  const IDLE_MS = 45_000; // three missed heartbeats (15 s each): the connection is dead

  async function connect() {
    controller = new AbortController();
    let idle = setTimeout(() => controller.abort(), IDLE_MS);
    const parser = createSseParser(
      (message) => {
        if (message.event === 'reconcile') {
          onReconcile(JSON.parse(message.data));
          return;
        }
        if (message.event !== 'change') return;
        const event = JSON.parse(message.data);
        if (last !== null && event.seq <= last) return;
        last = event.seq;
        onEvent(event);
      },
      (ms) => {
        retryMs = ms;
      },
    );
    try {
      const response = await fetch(withQuery('/api/stream', params), {
        headers: { ...authHeaders(), ...(last === null ? {} : { 'last-event-id': String(last) }) },
        signal: controller.signal,
        cache: 'no-store',
      });
      if (response.status === 401) {
        await askToken(true);
        attempt = 0;
        return;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      onState('live');
      attempt = 0;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done || stopped) break;
        clearTimeout(idle);
        idle = setTimeout(() => controller.abort(), IDLE_MS);
        parser.push(value);
      }
    } catch {
      // Refused connection, reset, abort: all end in a reconnect below.
    } finally {
      clearTimeout(idle);
    }
    if (stopped) return;
    onState('reconnecting');
    // Quick first retries (a restart takes a moment), then the server's `retry:`, at most 5 s.
    const wait = Math.min(5000, Math.max(250 * 2 ** attempt, attempt > 3 ? retryMs : 0));
    attempt++;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }

  (async () => {
    onState('connecting');
    while (!stopped) await connect();
  })();

  return {
    stop() {
      stopped = true;
      controller?.abort();
    },
    get lastId() {
      return last;
    },
  };
}
