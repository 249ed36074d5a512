/** Shoal as a library: start a tracker inside another program, or reuse its parts. */
export { createTracker } from './tracker.js';
export type { Tracker, BoundAddress, CreateTrackerOptions } from './tracker.js';
export { parseConfig, ConfigError, configSchema } from './config/config.js';
export type { ShoalConfig, ShoalConfigInput } from './config/config.js';
export { loadConfigFile } from './config/load-config.js';
export { AnnounceRequest, AnnounceResponse, ScrapeEntry } from './bittorrent/announce.js';
export { ClientError, ShoalError } from './bittorrent/errors.js';
export { bencode, bdecode } from './bittorrent/bencode.js';
export type { PeerStore } from './store/peer-store.js';
export type { Hook } from './middleware/hook.js';
export { MemoryPeerStore } from './store/memory/memory-peer-store.js';
