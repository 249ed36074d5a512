/**
 * BEP 41 UDP tracker protocol extensions: options after the 98-byte announce.
 * The URL data options are joined in order and read like an HTTP request target, so a private
 * tracker's passkey travels over UDP as `/PASSKEY/announce` or `?passkey=PASSKEY`.
 */

export const OPTION_END = 0x0;
export const OPTION_NOP = 0x1;
export const OPTION_URL_DATA = 0x2;

/**
 * Returns the joined URL data of the options in `msg[start..)`, '' when there is none, or null
 * when an option runs past the packet's end (malformed).
 */
export function readUrlData(msg: Buffer, start: number): string | null {
  let url = '';
  let p = start;
  while (p < msg.length) {
    const type = msg[p]!;
    if (type === OPTION_END) break;
    if (type === OPTION_NOP) {
      p++;
      continue;
    }
    // Every other option carries a length byte; unknown ones are skipped.
    if (p + 1 >= msg.length) return null;
    const len = msg[p + 1]!;
    if (p + 2 + len > msg.length) return null;
    if (type === OPTION_URL_DATA) url += msg.toString('latin1', p + 2, p + 2 + len);
    p += 2 + len;
  }
  return url;
}

/** The passkey carried by URL data: `/KEY/announce` or a `passkey` query parameter. */
export function passkeyFromUrlData(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const m = /^\/([^/]+)\/announce\/?$/.exec(path);
  if (m !== null) return decodeURIComponentSafe(m[1]!);
  if (q >= 0) {
    // Read like the HTTP query parser: percent-decoding only (a `+` stays a plus).
    for (const pair of url.slice(q + 1).split('&')) {
      if (pair.startsWith('passkey=')) return decodeURIComponentSafe(pair.slice(8));
    }
  }
  return '';
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
