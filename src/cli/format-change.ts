import type { RecordedEvent } from '../store/index.js';

const MAX_VALUE = 80;

/** One readable line for a recorded change: `#12 10:04:05 group @TGS#x by leckie (iOS): Name: "Old" → "New"`. */
export function formatChangeLine(event: RecordedEvent): string {
  const time = new Date(event.receivedAt).toISOString().replace('T', ' ').slice(0, 19);
  const subject =
    event.kind === 'topic'
      ? `topic ${event.topicId ?? `(unknown topic of ${event.groupId ?? '?'})`}`
      : `group ${event.groupId ?? '?'}`;
  const who = `${event.operator ?? 'unknown'}${event.optPlatform ? ` (${event.optPlatform})` : ''}`;
  const command = event.command.replace(/^Group\.CallbackAfter/, '');
  const changes =
    event.diff.length > 0
      ? event.diff
          .map((d) => `${d.field}: ${d.from === null ? '(unknown)' : quote(d.from)} → ${quote(d.to)}`)
          .join('; ')
      : event.superseded
        ? `superseded by newer changes: ${event.superseded.join(', ')}`
        : /InfoChanged$/.test(command)
          ? 'no field changed'
          : command;
  return `#${event.seq} ${time} ${subject} by ${who}: ${changes}`;
}

function quote(value: string): string {
  const clipped = value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value;
  // JSON quoting also makes control characters in attacker-controlled text visible, not live.
  return JSON.stringify(clipped);
}
