/** Announce events. The numeric values are BEP 15's, so UDP packets map without a table. */
export const EVENT_NONE = 0;
export const EVENT_COMPLETED = 1;
export const EVENT_STARTED = 2;
export const EVENT_STOPPED = 3;

export type AnnounceEvent =
  typeof EVENT_NONE | typeof EVENT_COMPLETED | typeof EVENT_STARTED | typeof EVENT_STOPPED;

/** BEP 3 `event` query values; -1 for anything unknown. */
export function parseEventName(name: string): AnnounceEvent | -1 {
  switch (name) {
    case '':
    case 'empty':
    case 'paused': // BEP 21 partial seeds announce "paused": a regular announce for the swarm
      return EVENT_NONE;
    case 'started':
      return EVENT_STARTED;
    case 'completed':
      return EVENT_COMPLETED;
    case 'stopped':
      return EVENT_STOPPED;
    default:
      return -1;
  }
}
