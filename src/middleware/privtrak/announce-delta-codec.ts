import type { AnnounceDelta } from '../../backend/backend.js';

/**
 * Folds `newer` into `older` (same user, torrent and peer): credited bytes, seed time and
 * snatches add up; the peer's latest state (reported counters, left, time, client, active,
 * swarm counts) is the newer one's.
 */
export function mergeDelta(older: AnnounceDelta, newer: AnnounceDelta): void {
  older.uploaded += newer.uploaded;
  older.downloaded += newer.downloaded;
  older.seedTime += newer.seedTime;
  older.snatched = older.snatched || newer.snatched;
  older.reportedUploaded = newer.reportedUploaded;
  older.reportedDownloaded = newer.reportedDownloaded;
  older.left = newer.left;
  older.lastAnnounce = newer.lastAnnounce;
  older.client = newer.client;
  older.active = newer.active;
  if (newer.seeders >= 0) {
    older.seeders = newer.seeders;
    older.leechers = newer.leechers;
  }
}

/** The map key of a delta: user key, canonical info hash and peer id as latin1 (56 chars). */
export function deltaKey(d: AnnounceDelta): string {
  return d.userKey.toString('latin1') + d.infoHash.toString('latin1') + d.peerId.toString('latin1');
}

/** A delta as the spool stores it: short names, buffers in hex, booleans as 0/1. */
export interface EncodedDelta {
  u: string;
  h: string;
  p: string;
  up: number;
  dn: number;
  st: number;
  ru: number;
  rd: number;
  l: number;
  t: number;
  c: string;
  s: 0 | 1;
  a: 0 | 1;
  se: number;
  le: number;
}

/** The spool form of a delta. */
export function encodeDelta(d: AnnounceDelta): EncodedDelta {
  return {
    u: d.userKey.toString('hex'),
    h: d.infoHash.toString('hex'),
    p: d.peerId.toString('hex'),
    up: d.uploaded,
    dn: d.downloaded,
    st: d.seedTime,
    ru: d.reportedUploaded,
    rd: d.reportedDownloaded,
    l: d.left,
    t: d.lastAnnounce,
    c: d.client,
    s: d.snatched ? 1 : 0,
    a: d.active ? 1 : 0,
    se: d.seeders,
    le: d.leechers,
  };
}

/**
 * `JSON.stringify(encodeDelta(d))`, built directly: this runs on every announce when the spool
 * is on. Every field is a number or hex except `client`, which clientOf keeps free of
 * characters JSON would escape; any other client text goes through JSON.stringify.
 */
export function encodeDeltaJson(d: AnnounceDelta): string {
  const c = SAFE_CLIENT.test(d.client) ? `"${d.client}"` : JSON.stringify(d.client);
  return (
    `{"u":"${d.userKey.toString('hex')}","h":"${d.infoHash.toString('hex')}",` +
    `"p":"${d.peerId.toString('hex')}","up":${d.uploaded},"dn":${d.downloaded},` +
    `"st":${d.seedTime},"ru":${d.reportedUploaded},"rd":${d.reportedDownloaded},"l":${d.left},` +
    `"t":${d.lastAnnounce},"c":${c},"s":${d.snatched ? 1 : 0},"a":${d.active ? 1 : 0},` +
    `"se":${d.seeders},"le":${d.leechers}}`
  );
}

const SAFE_CLIENT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const HEX16 = /^[0-9a-f]{32}$/;
const HEX20 = /^[0-9a-f]{40}$/;

function count(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`bad ${what}`);
  return v;
}

/** A delta read back from the spool; throws on a malformed record. */
export function decodeDelta(e: unknown): AnnounceDelta {
  if (typeof e !== 'object' || e === null) throw new Error('not an object');
  const r = e as Record<string, unknown>;
  const u = r['u'];
  const h = r['h'];
  const p = r['p'];
  if (typeof u !== 'string' || !HEX16.test(u)) throw new Error('bad user key');
  if (typeof h !== 'string' || !HEX20.test(h)) throw new Error('bad info hash');
  if (typeof p !== 'string' || !HEX20.test(p)) throw new Error('bad peer id');
  const c = r['c'];
  return {
    userKey: Buffer.from(u, 'hex'),
    infoHash: Buffer.from(h, 'hex'),
    peerId: Buffer.from(p, 'hex'),
    uploaded: count(r['up'], 'uploaded'),
    downloaded: count(r['dn'], 'downloaded'),
    seedTime: count(r['st'], 'seed time'),
    reportedUploaded: count(r['ru'], 'reported uploaded'),
    reportedDownloaded: count(r['rd'], 'reported downloaded'),
    left: count(r['l'], 'left'),
    lastAnnounce: count(r['t'], 'last announce'),
    client: typeof c === 'string' ? c : '',
    snatched: r['s'] === 1,
    active: r['a'] === 1,
    seeders: count(r['se'] ?? -1, 'seeders'),
    leechers: count(r['le'] ?? -1, 'leechers'),
  };
}
