import { isIP } from 'node:net';

/** A parsed `host:port` listen address. */
export interface ListenAddress {
  host: string;
  port: number;
  family: 4 | 6;
}

/**
 * Parses `0.0.0.0:6969`, `[::]:6969`, `127.0.0.1:0` (0 = any free port). Hosts must be IP
 * literals so a tracker never binds somewhere a name happens to resolve to.
 */
export function parseListenAddress(text: string): ListenAddress | string {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return 'expected [IPv6]:port';
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0 || text.indexOf(':') !== colon) return 'expected host:port or [IPv6]:port';
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  const family = isIP(host);
  if (family === 0) return `not an IP address: "${host}"`;
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) return `bad port: "${portText}"`;
  return { host, port: Number(portText), family: family as 4 | 6 };
}
