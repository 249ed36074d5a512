import type { TorrentRecord } from '../../backend/backend.js';

/**
 * Finds a registered torrent by either of its info hashes (the backend's in-memory Directory
 * implements it, indexing a hybrid torrent by its v1 hash and its truncated v2 hash). Called on
 * every announce: must be a synchronous map lookup.
 */
export interface TorrentLookup {
  /** `infoHashKey` is the 20-byte hash as latin1 (AnnounceRequest.infoHashKey). */
  torrentByInfoHash(infoHashKey: string): TorrentRecord | undefined;
}
