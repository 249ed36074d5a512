import { createHash } from 'node:crypto';

type BValue = number | string | Buffer | BValue[] | { [key: string]: BValue };

/** Minimal bencode encoder (dictionary keys sorted as raw bytes, as BEP 3 requires). */
export function bencode(value: BValue): Buffer {
  const parts: Buffer[] = [];
  const walk = (v: BValue): void => {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new Error(`bencode: not an integer: ${v}`);
      parts.push(Buffer.from(`i${v}e`));
    } else if (typeof v === 'string' || Buffer.isBuffer(v)) {
      const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
      parts.push(Buffer.from(`${b.length}:`), b);
    } else if (Array.isArray(v)) {
      parts.push(Buffer.from('l'));
      v.forEach(walk);
      parts.push(Buffer.from('e'));
    } else {
      parts.push(Buffer.from('d'));
      const keys = Object.keys(v).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      for (const k of keys) {
        walk(k);
        walk(v[k] as BValue);
      }
      parts.push(Buffer.from('e'));
    }
  };
  walk(value);
  return Buffer.concat(parts);
}

export interface MadeTorrent {
  /** The .torrent file's bytes. */
  torrent: Buffer;
  /** v1 info hash, lowercase hex. */
  infoHash: string;
}

/**
 * A BitTorrent v1 single-file torrent for `data` named `name`, announcing only to
 * `announceUrl`. `private: true` sets the BEP 27 flag, which makes every client keep DHT,
 * PEX and local peer discovery off for this torrent even if they were on.
 */
export function makeTorrent(
  name: string,
  data: Buffer,
  announceUrl: string,
  opts: { pieceLength?: number; private?: boolean } = {},
): MadeTorrent {
  const pieceLength = opts.pieceLength ?? 64 * 1024;
  const hashes: Buffer[] = [];
  for (let off = 0; off < data.length; off += pieceLength) {
    hashes.push(
      createHash('sha1')
        .update(data.subarray(off, off + pieceLength))
        .digest(),
    );
  }
  const info: { [key: string]: BValue } = {
    length: data.length,
    name,
    'piece length': pieceLength,
    pieces: Buffer.concat(hashes),
  };
  if (opts.private === true) info['private'] = 1;
  const infoBytes = bencode(info);
  const torrent = bencode({
    announce: announceUrl,
    'announce-list': [[announceUrl]],
    'created by': 'shoal-e2e',
    'creation date': Math.floor(Date.now() / 1000),
    info,
  });
  // The info dictionary is encoded identically inside the torrent, so its hash is the info hash.
  if (!torrent.includes(infoBytes))
    throw new Error('bencode: info dictionary not embedded verbatim');
  return { torrent, infoHash: createHash('sha1').update(infoBytes).digest('hex') };
}
