import assert from 'node:assert/strict';
import { AnnounceRequest, AnnounceResponse, ScrapeEntry } from '../../bittorrent/announce.js';
import type { Family } from '../../bittorrent/address.js';
import { EVENT_NONE, EVENT_STOPPED } from '../../bittorrent/event.js';
import type { AnnounceEvent } from '../../bittorrent/event.js';
import type { PeerStore } from '../peer-store.js';

/** Clock value, in seconds, at which every conformance test starts. */
export const SUITE_START_TIME = 1_000_000;
/** Peer lifetime, in seconds, given to every store the suite creates (a multiple of 64). */
export const SUITE_PEER_LIFETIME = 640;
/** maxNumWant given to every store the suite creates; no test asks for more. */
export const SUITE_MAX_NUM_WANT = 50;

/** A 20-byte info hash made from a number, as the latin1 string a store is keyed by. */
export function infoHashKey(i: number): string {
  const b = Buffer.alloc(20, 0x5a);
  b.writeUInt32BE(i >>> 0, 0);
  return b.toString('latin1');
}

/** Compact IPv4 peer 10.x.y.z:port, distinct for each `i` below 2^24. */
export function peerV4(i: number, port = 6881): Buffer {
  const b = Buffer.alloc(6);
  b[0] = 10;
  b.writeUIntBE(i & 0xffffff, 1, 3);
  b.writeUInt16BE(port, 4);
  return b;
}

/** Compact IPv6 peer 2001:db8::i:port (documentation prefix), distinct for each `i`. */
export function peerV6(i: number, port = 6881): Buffer {
  const b = Buffer.alloc(18);
  b.writeUInt32BE(0x20010db8, 0);
  b.writeUInt32BE(i >>> 0, 12);
  b.writeUInt16BE(port, 16);
  return b;
}

/** The family of a compact peer, from its length. */
export function familyOf(peer: Buffer): Family {
  return peer.length === 18 ? 6 : 4;
}

/**
 * An announce of `peer` (6 or 18 bytes) in the swarm `hashKey`, as a frontend would build it:
 * the family follows the peer's length, and the peer id is derived from the endpoint.
 */
export function announceRequest(
  hashKey: string,
  peer: Buffer,
  left: number,
  event: AnnounceEvent = EVENT_NONE,
): AnnounceRequest {
  const req = new AnnounceRequest();
  req.infoHash = Buffer.from(hashKey, 'latin1');
  req.infoHashKey = hashKey;
  req.peerId = Buffer.alloc(20);
  peer.copy(req.peerId, 0, 0, Math.min(20, peer.length));
  req.port = peer.readUInt16BE(peer.length - 2);
  req.left = left;
  req.event = event;
  req.family = familyOf(peer);
  req.peer = peer;
  req.clientIp = peer.subarray(0, peer.length - 2);
  return req;
}

/** Swarm counts as a plain object, so that `assert.deepEqual` names the field that differs. */
export interface Counts {
  complete: number;
  incomplete: number;
  downloaded: number;
}

/** Shorthand for a Counts value: seeders, leechers, downloads. */
export function counts(complete: number, incomplete: number, downloaded: number): Counts {
  return { complete, incomplete, downloaded };
}

/** What one announce gave back, with the peers already copied out of the store's buffer. */
export interface AnnounceResult {
  res: AnnounceResponse;
  counts: Counts;
  /** One copied Buffer per returned peer. */
  peers: Buffer[];
}

/** Hex strings of peers, sorted, for comparing sets of peers. */
export function hexes(peers: readonly Buffer[]): string[] {
  return peers.map((p) => p.toString('hex')).sort();
}

/**
 * One test's store and the fake clock it was created with. Every call awaits the store's
 * result, since any method may return a promise.
 */
export class PeerStoreHarness {
  readonly store: PeerStore;
  /** Set once the test has closed the store itself. */
  closed = false;
  private readonly clock: { t: number };

  /** `clock.t` is what the `now` given to the store returns. */
  constructor(store: PeerStore, clock: { t: number }) {
    this.store = store;
    this.clock = clock;
  }

  /** Current time in seconds, as the store sees it; assign to move the clock. */
  get t(): number {
    return this.clock.t;
  }

  set t(seconds: number) {
    this.clock.t = seconds;
  }

  /** Moves the fake clock forward. */
  advance(seconds: number): void {
    this.clock.t += seconds;
  }

  /**
   * Announces and checks the shape of the reply. The response starts filled with wrong values
   * (as a reused object would be), so a field the store forgets to fill is caught.
   */
  async announce(
    hashKey: string,
    peer: Buffer,
    left: number,
    event: AnnounceEvent = EVENT_NONE,
    numWant = SUITE_MAX_NUM_WANT,
  ): Promise<AnnounceResult> {
    return this.announceWith(announceRequest(hashKey, peer, left, event), numWant);
  }

  /** As `announce`, for a request built by the test. */
  async announceWith(req: AnnounceRequest, numWant = SUITE_MAX_NUM_WANT): Promise<AnnounceResult> {
    const res = poisonedResponse(req.family);
    await this.store.announce(req, numWant, res);
    return readResponse(res, req.family);
  }

  /** The swarm's counts through scrape (the entry starts filled with wrong values). */
  async scrape(hashKey: string): Promise<Counts> {
    const entry = new ScrapeEntry();
    entry.complete = entry.incomplete = entry.downloaded = -1;
    await this.store.scrape(hashKey, entry);
    return { complete: entry.complete, incomplete: entry.incomplete, downloaded: entry.downloaded };
  }

  async putSeeder(hashKey: string, peer: Buffer): Promise<void> {
    await this.store.putSeeder(hashKey, peer);
  }

  async putLeecher(hashKey: string, peer: Buffer): Promise<void> {
    await this.store.putLeecher(hashKey, peer);
  }

  async deleteSeeder(hashKey: string, peer: Buffer): Promise<boolean> {
    return await this.store.deleteSeeder(hashKey, peer);
  }

  async deleteLeecher(hashKey: string, peer: Buffer): Promise<boolean> {
    return await this.store.deleteLeecher(hashKey, peer);
  }

  async graduateLeecher(hashKey: string, peer: Buffer): Promise<void> {
    await this.store.graduateLeecher(hashKey, peer);
  }

  async sweep(): Promise<void> {
    await this.store.sweep();
  }

  /**
   * The peers an outsider of `family` would be offered: announces as a fresh leecher with
   * numWant at the maximum, then stops it again, so the swarm is left as it was.
   */
  async peersSeenBy(hashKey: string, family: Family, outsider = 0xfffff): Promise<string[]> {
    const me = family === 4 ? peerV4(outsider) : peerV6(outsider);
    const got = await this.announce(hashKey, me, 1);
    await this.announce(hashKey, me, 1, EVENT_STOPPED);
    return hexes(got.peers);
  }
}

/** A response holding stale values of every field the store must fill. */
function poisonedResponse(family: Family): AnnounceResponse {
  const res = new AnnounceResponse();
  res.complete = res.incomplete = res.downloaded = -1;
  res.family = family === 4 ? 6 : 4;
  res.peers = Buffer.alloc(7 * 18, 0xee);
  res.peerCount = 7;
  return res;
}

/** Checks the reply's shape and copies its peers before the store can reuse its buffer. */
function readResponse(res: AnnounceResponse, family: Family): AnnounceResult {
  assert.equal(res.family, family, 'res.family is the request family');
  const rec = family === 4 ? 6 : 18;
  assert.ok(Number.isInteger(res.peerCount) && res.peerCount >= 0, 'res.peerCount is set');
  assert.equal(
    res.peers.length,
    res.peerCount * rec,
    `res.peers holds peerCount ${rec}-byte records`,
  );
  const peers: Buffer[] = [];
  for (let i = 0; i < res.peerCount; i++) {
    peers.push(Buffer.from(res.peers.subarray(i * rec, (i + 1) * rec)));
  }
  return {
    res,
    counts: { complete: res.complete, incomplete: res.incomplete, downloaded: res.downloaded },
    peers,
  };
}

/** One named conformance check; the name is also its `skip` key. */
export interface PeerStoreCase {
  readonly name: string;
  run(h: PeerStoreHarness): Promise<void>;
}
