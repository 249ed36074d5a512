import type { AnnounceEvent } from '../../bittorrent/event.js';
import { EVENT_NONE, parseEventName } from '../../bittorrent/event.js';
import { offerValueSpans } from './json-spans.js';

/** One WebRTC offer a browser sends with its announce, for the tracker to forward. */
export interface WsOffer {
  /** The SDP object. */
  offer: object;
  /** The same as JSON text, forwarded as is: the message's own text where it could be found. */
  offerJson: string;
  /** 20-character binary string the answer will carry back. */
  offerId: string;
}

/** A parsed WebTorrent `announce` message (with offers, or an answer to relay). */
export interface WsAnnounceMessage {
  action: 'announce';
  /** 20-character latin1 strings, as on the wire (and as PeerStore keys). */
  infoHash: string;
  peerId: string;
  event: AnnounceEvent;
  /** Bytes left; undefined when the client did not say (counted as a leecher). */
  left: number | undefined;
  uploaded: number;
  downloaded: number;
  /** Offers to forward, already cut to the configured cap. */
  offers: WsOffer[];
  /** An answer to relay (then `toPeerId` and `offerId` are set), or null. */
  answer: object | null;
  toPeerId: string;
  offerId: string;
}

/** A parsed `scrape` message; `infoHashes` empty means the client named none. */
export interface WsScrapeMessage {
  action: 'scrape';
  infoHashes: string[];
}

export type WsMessage = WsAnnounceMessage | WsScrapeMessage;

/** A message that cannot be served: the text is sent back as `failure reason`. */
export class WsBadMessage {
  constructor(
    readonly reason: string,
    /** The message's info hash when it was readable, so the client can match the reply. */
    readonly infoHash: string | undefined,
    readonly action: 'announce' | 'scrape' | undefined,
  ) {}
}

/** A 20-character string of code points 0-255: the WebTorrent form of 20 binary bytes. */
export function isBinary20(v: unknown): v is string {
  if (typeof v !== 'string' || v.length !== 20) return false;
  for (let i = 0; i < 20; i++) if (v.charCodeAt(i) > 0xff) return false;
  return true;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A count field: a non-negative finite number (numeric strings accepted), else NaN. */
function count(v: unknown): number {
  const n = typeof v === 'string' && v !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : NaN;
}

/**
 * Parses one text message. Never throws: anything malformed becomes a WsBadMessage whose reason
 * is safe to send (it names the field, never echoes its value).
 */
export function parseWsMessage(
  text: string,
  maxOffers: number,
  maxScrapeHashes: number,
): WsMessage | WsBadMessage {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return new WsBadMessage('invalid JSON', undefined, undefined);
  }
  if (!isPlainObject(m)) return new WsBadMessage('expected a JSON object', undefined, undefined);
  if (m.action === 'announce') return parseAnnounce(m, maxOffers, text);
  if (m.action === 'scrape') return parseScrape(m, maxScrapeHashes);
  return new WsBadMessage('invalid action', undefined, undefined);
}

/** Reused by parseAnnounce: offer value spans. */
const SPANS: number[] = [];

function parseAnnounce(
  m: Record<string, unknown>,
  maxOffers: number,
  text: string,
): WsMessage | WsBadMessage {
  const infoHash = m.info_hash;
  if (!isBinary20(infoHash)) return new WsBadMessage('invalid info_hash', undefined, 'announce');
  const bad = (reason: string): WsBadMessage => new WsBadMessage(reason, infoHash, 'announce');
  if (!isBinary20(m.peer_id)) return bad('invalid peer_id');
  const msg: WsAnnounceMessage = {
    action: 'announce',
    infoHash,
    peerId: m.peer_id,
    event: EVENT_NONE,
    left: undefined,
    uploaded: 0,
    downloaded: 0,
    offers: [],
    answer: null,
    toPeerId: '',
    offerId: '',
  };
  if (m.event !== undefined && m.event !== null) {
    const e =
      typeof m.event === 'string' ? parseEventName(m.event === 'update' ? '' : m.event) : -1;
    if (e === -1) return bad('invalid event');
    msg.event = e;
  }
  for (const [field, key] of [
    ['left', 'left'],
    ['uploaded', 'uploaded'],
    ['downloaded', 'downloaded'],
  ] as const) {
    const v = m[field];
    if (v === undefined || v === null) continue;
    const n = count(v);
    if (Number.isNaN(n)) return bad(`invalid ${field}`);
    if (key === 'left') msg.left = n;
    else msg[key] = n;
  }
  if (m.answer !== undefined && m.answer !== null) {
    if (!isPlainObject(m.answer)) return bad('invalid answer');
    if (!isBinary20(m.to_peer_id)) return bad('invalid to_peer_id (required with answer)');
    if (!isBinary20(m.offer_id)) return bad('invalid offer_id (required with answer)');
    msg.answer = m.answer;
    msg.toPeerId = m.to_peer_id;
    msg.offerId = m.offer_id;
    return msg;
  }
  if (m.offers !== undefined && m.offers !== null) {
    if (!Array.isArray(m.offers)) return bad('invalid offers');
    let n = Math.min(m.offers.length, maxOffers);
    if (m.numwant !== undefined && m.numwant !== null) {
      const w = count(m.numwant);
      if (Number.isNaN(w)) return bad('invalid numwant');
      if (w < n) n = Math.floor(w);
    }
    for (let i = 0; i < n; i++) {
      const o: unknown = m.offers[i];
      if (!isPlainObject(o) || !isPlainObject(o.offer) || !isBinary20(o.offer_id)) {
        return bad('invalid offers');
      }
      msg.offers.push({ offer: o.offer, offerJson: '', offerId: o.offer_id });
    }
    if (n > 0) {
      const raw = offerValueSpans(text, n, SPANS);
      for (let i = 0; i < n; i++) {
        const offer = msg.offers[i]!;
        offer.offerJson = raw
          ? text.slice(SPANS[2 * i], SPANS[2 * i + 1])
          : JSON.stringify(offer.offer);
      }
    }
  }
  return msg;
}

function parseScrape(m: Record<string, unknown>, maxHashes: number): WsMessage | WsBadMessage {
  const v = m.info_hash;
  const list = v === undefined || v === null ? [] : Array.isArray(v) ? (v as unknown[]) : [v];
  if (list.length > maxHashes) return new WsBadMessage('too many info hashes', undefined, 'scrape');
  const infoHashes: string[] = [];
  for (const h of list) {
    if (!isBinary20(h)) return new WsBadMessage('invalid info_hash', undefined, 'scrape');
    infoHashes.push(h);
  }
  return { action: 'scrape', infoHashes };
}
