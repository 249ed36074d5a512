import type { ChainSpec } from '../../chainstore/chain-spec.js';
import type { Logger } from '../../log/logger.js';
import { MemoryPeerStore } from '../memory/memory-peer-store.js';
import { restorePeers, snapshotPeers } from '../memory/peer-snapshot.js';
import type { PeerStore } from '../peer-store.js';
import { acquireChain } from './chain-connection.js';
import type { ChainLease } from './chain-connection.js';

/** The tracker's peer snapshot: restored at start, saved at shutdown. */
export interface PeerSnapshotter {
  /** Puts back the last snapshot's swarms (peers past their lifetime are dropped). */
  restore(): Promise<void>;
  /** Writes every swarm, then lets go of the chain. Logs and rethrows a failure. */
  saveAndClose(): Promise<void>;
  /** Lets go of the chain without saving (start failed). */
  close(): Promise<void>;
}

/**
 * The snapshotter of `storage.snapshot` (a chain spec) for `store`, or null when the store
 * keeps no swarms of its own to snapshot (Redis already survives restarts): then a warning
 * (SHOAL_W_SNAPSHOT_IGNORED) says the setting does nothing.
 */
export async function openPeerSnapshotter(
  spec: ChainSpec,
  store: PeerStore,
  log: Logger,
): Promise<PeerSnapshotter | null> {
  if (!(store instanceof MemoryPeerStore)) {
    log.warn(
      { code: 'SHOAL_W_SNAPSHOT_IGNORED' },
      'storage.snapshot is set but the peer store is not the memory one: no snapshot is taken',
    );
    return null;
  }
  const lease: ChainLease = await acquireChain(spec, log);
  return {
    async restore() {
      const started = Date.now();
      const r = await restorePeers(store, lease.chain);
      log.info({ ...r, ms: Date.now() - started }, 'restored swarms from the peer snapshot');
    },
    async saveAndClose() {
      const started = Date.now();
      try {
        const r = await snapshotPeers(store, lease.chain);
        log.info({ ...r, ms: Date.now() - started }, 'saved the peer snapshot');
      } catch (err) {
        log.error({ err, code: 'SHOAL_E_SNAPSHOT' }, 'saving the peer snapshot failed');
        throw err;
      } finally {
        await lease.release();
      }
    },
    close: () => lease.release(),
  };
}
