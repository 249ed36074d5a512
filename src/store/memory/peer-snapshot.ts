import { KvError } from '../../chainstore/kv-error.js';
import type { KvStore } from '../../chainstore/kv-store.js';
import type { MemoryPeerStore } from './memory-peer-store.js';

/** One family's peers of a swarm, as a snapshot holds them. */
export interface PeerListSnapshot {
  /** 6 (IPv4) or 18 (IPv6) bytes per compact peer. */
  recSize: number;
  /** The first `seeders` records are seeders, the rest leechers. */
  seeders: number;
  /** The compact peers, back to back. */
  records: Buffer;
  /** Last announce of each peer, in seconds of the store's clock. */
  lastSeen: Uint32Array;
}

/** One swarm of a snapshot. */
export interface SwarmSnapshot {
  infoHashKey: string;
  downloaded: number;
  lists: PeerListSnapshot[];
}

/** What a snapshot wrote or a restore read. */
export interface SnapshotStats {
  swarms: number;
  peers: number;
  chunks: number;
}

/** Key of the manifest: which generation of chunks is the snapshot. */
export const SNAPSHOT_MANIFEST_KEY = 'shoal/peers/manifest';
const chunkKey = (gen: string, i: number): string => `shoal/peers/${gen}/${i}`;

interface Manifest {
  version: 1;
  gen: string;
  chunks: number;
  swarms: number;
  peers: number;
  savedAt: number;
}

/** Bytes a chunk grows to before it is written. */
const CHUNK_BYTES = 1 << 20;
/** Chunks written at once. */
const IN_FLIGHT = 4;

/*
 * Chunk format: swarms back to back, each
 *   u8 info hash length, info hash (latin1 bytes), u32 downloaded, u8 list count, then per list
 *   u8 record size, u32 count, u32 seeders, count records, count u32 last-seen seconds.
 * Big-endian. A swarm never spans two chunks.
 */
function encodeSwarm(s: SwarmSnapshot): Buffer {
  const hash = Buffer.from(s.infoHashKey, 'latin1');
  let size = 1 + hash.length + 4 + 1;
  for (const l of s.lists) size += 9 + l.records.length + l.lastSeen.length * 4;
  const b = Buffer.allocUnsafe(size);
  let o = b.writeUInt8(hash.length, 0);
  o += hash.copy(b, o);
  o = b.writeUInt32BE(s.downloaded >>> 0, o);
  o = b.writeUInt8(s.lists.length, o);
  for (const l of s.lists) {
    o = b.writeUInt8(l.recSize, o);
    o = b.writeUInt32BE(l.lastSeen.length, o);
    o = b.writeUInt32BE(l.seeders, o);
    o += l.records.copy(b, o);
    for (let i = 0; i < l.lastSeen.length; i++) o = b.writeUInt32BE(l.lastSeen[i]!, o);
  }
  return b;
}

/** The swarms of one chunk; SHOAL_E_KV_IO if it is cut short or malformed. */
function* decodeChunk(b: Buffer): Generator<SwarmSnapshot> {
  let o = 0;
  const need = (n: number): void => {
    if (o + n > b.length) throw new KvError('SHOAL_E_KV_IO', 'peer snapshot: a chunk is corrupt');
  };
  while (o < b.length) {
    need(1);
    const hashLen = b.readUInt8(o++);
    need(hashLen + 5);
    const infoHashKey = b.toString('latin1', o, o + hashLen);
    o += hashLen;
    const downloaded = b.readUInt32BE(o);
    const nLists = b.readUInt8(o + 4);
    o += 5;
    const lists: PeerListSnapshot[] = [];
    for (let j = 0; j < nLists; j++) {
      need(9);
      const recSize = b.readUInt8(o);
      const count = b.readUInt32BE(o + 1);
      const seeders = b.readUInt32BE(o + 5);
      o += 9;
      need(count * (recSize + 4));
      const records = b.subarray(o, o + count * recSize);
      o += count * recSize;
      const lastSeen = new Uint32Array(count);
      for (let i = 0; i < count; i++, o += 4) lastSeen[i] = b.readUInt32BE(o);
      lists.push({ recSize, seeders, records, lastSeen });
    }
    yield { infoHashKey, downloaded, lists };
  }
}

/**
 * Writes every swarm of `store` to `kv`: chunks of about 1 MiB under a new generation
 * (`shoal/peers/<gen>/<i>`, four written at once), then the manifest naming that generation,
 * then the previous generation's chunks are deleted. A crash mid-way leaves the previous
 * snapshot whole: the manifest only ever names a generation fully written.
 */
export async function snapshotPeers(
  store: MemoryPeerStore,
  kv: KvStore,
  savedAt = Math.floor(Date.now() / 1000),
): Promise<SnapshotStats> {
  const old = await readManifest(kv);
  const gen = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  let chunks = 0;
  let swarms = 0;
  let peers = 0;
  let parts: Buffer[] = [];
  let size = 0;
  const inFlight = new Set<Promise<void>>();
  const flush = async (): Promise<void> => {
    if (parts.length === 0) return;
    const chunk = Buffer.concat(parts, size);
    parts = [];
    size = 0;
    const p = kv.put(chunkKey(gen, chunks++), chunk).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  };
  for (const s of store.snapshotSwarms()) {
    const b = encodeSwarm(s);
    swarms++;
    for (const l of s.lists) peers += l.lastSeen.length;
    parts.push(b);
    size += b.length;
    if (size >= CHUNK_BYTES) await flush();
  }
  await flush();
  await Promise.all(inFlight);
  const manifest: Manifest = { version: 1, gen, chunks, swarms, peers, savedAt };
  await kv.put(SNAPSHOT_MANIFEST_KEY, Buffer.from(JSON.stringify(manifest)));
  if (old !== undefined && old.gen !== gen) {
    for (let i = 0; i < old.chunks; i++) await kv.del(chunkKey(old.gen, i));
  }
  return { swarms, peers, chunks };
}

/**
 * Puts back the swarms of the snapshot in `kv` (none if there is no snapshot), dropping peers
 * older than the store's peer lifetime. Returns what was restored (`peers` counts restored
 * peers, not those dropped).
 */
export async function restorePeers(store: MemoryPeerStore, kv: KvStore): Promise<SnapshotStats> {
  const m = await readManifest(kv);
  const stats: SnapshotStats = { swarms: 0, peers: 0, chunks: 0 };
  if (m === undefined) return stats;
  for (let i = 0; i < m.chunks; i++) {
    const chunk = await kv.get(chunkKey(m.gen, i));
    if (chunk === undefined) {
      throw new KvError('SHOAL_E_KV_IO', `peer snapshot: chunk ${i} of ${m.gen} is missing`);
    }
    stats.chunks++;
    for (const s of decodeChunk(Buffer.from(chunk))) {
      const n = store.restoreSwarm(s);
      if (n > 0) stats.swarms++;
      stats.peers += n;
    }
  }
  return stats;
}

async function readManifest(kv: KvStore): Promise<Manifest | undefined> {
  const raw = await kv.get(SNAPSHOT_MANIFEST_KEY);
  if (raw === undefined) return undefined;
  let m: Partial<Manifest>;
  try {
    m = JSON.parse(Buffer.from(raw).toString()) as Partial<Manifest>;
  } catch (err) {
    throw new KvError('SHOAL_E_KV_IO', 'peer snapshot: the manifest is not JSON', { cause: err });
  }
  if (m.version !== 1 || typeof m.gen !== 'string' || !Number.isInteger(m.chunks)) {
    throw new KvError('SHOAL_E_KV_IO', 'peer snapshot: unknown manifest version');
  }
  return m as Manifest;
}
