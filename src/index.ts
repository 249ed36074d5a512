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
export type { IPStore } from './store/ip-store.js';
export type { StringStore } from './store/string-store.js';
export type {
  DriverContext,
  PeerStoreContext,
  StoreDriver,
  PeerStoreDriver,
  IPStoreDriver,
  StringStoreDriver,
} from './store/driver.js';
export {
  DriverRegistry,
  peerStoreDrivers,
  ipStoreDrivers,
  stringStoreDrivers,
} from './store/registry.js';
export type { DriverLoader } from './store/registry.js';
export { MemoryStringStore } from './store/memory/memory-string-store.js';
export { parseNetwork, maskNetwork } from './bittorrent/cidr.js';
export type { Network } from './bittorrent/cidr.js';
export type { HookContext, HookType } from './middleware/hook-type.js';
export { hookTypes } from './middleware/hook-registry.js';
export { HookChain } from './middleware/hook-chain.js';
export { ListHook } from './middleware/hooks/list-hook.js';
export type { ListMode } from './middleware/hooks/list-hook.js';
export { InfoHashListHook, parseInfoHash } from './middleware/hooks/infohash-list-hook.js';
export { ClientListHook, parseClientPrefix } from './middleware/hooks/client-list-hook.js';
export { IPListHook, parseIPEntry } from './middleware/hooks/ip-list-hook.js';
export { boot } from './boot.js';
export type { BootOptions } from './boot.js';
export type {
  AnnounceDelta,
  BackendChange,
  BackendConnection,
  BackendContext,
  BackendDriver,
  NewTorrent,
  NewUser,
  TorrentRecord,
  UserRecord,
} from './backend/backend.js';
export { backendDrivers, openBackend } from './backend/registry.js';
export type { BackendChoice } from './backend/registry.js';
export { Directory } from './backend/directory.js';
export type { DirectoryOptions } from './backend/directory.js';
export { PasskeyHook } from './middleware/hooks/passkey-hook.js';
// Chain store (docs/chainstore.md).
export * from './chainstore/index.js';
