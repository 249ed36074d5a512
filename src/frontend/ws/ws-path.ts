/** A passkey in a URL path: letters, digits, `-` and `_`, as private trackers issue them. */
const PASSKEY_PATH = /^\/([A-Za-z0-9_-]{1,128})\/announce$/;

/**
 * The passkey of a WebSocket upgrade path: '' for `/announce` and `/` (clients that use the bare
 * tracker URL), the passkey for `/<passkey>/announce`, null for any other path.
 */
export function wsPasskey(path: string): string | null {
  if (path === '/announce' || path === '/') return '';
  const m = PASSKEY_PATH.exec(path);
  return m === null ? null : m[1]!;
}
