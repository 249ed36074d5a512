import type { DriverContext, IPStoreDriver, StoreDriver, StringStoreDriver } from '../driver.js';
import { acquireChain } from './chain-connection.js';
import { ChainIPStore } from './chain-ip-store.js';
import type { ChainIPStoreOptions } from './chain-ip-store.js';
import { ChainStringStore } from './chain-string-store.js';

/**
 * A list driver over a shared chain: leases the chain its options describe, opens the store on
 * it (which releases the lease when it closes), and releases the lease itself if opening fails.
 */
function chainListDriver<S>(
  open: (o: ChainIPStoreOptions) => Promise<S>,
): StoreDriver<S, DriverContext> {
  return {
    async create(options, ctx) {
      const lease = await acquireChain(options, ctx.log);
      try {
        return await open({
          kv: lease.chain,
          namespace: ctx.namespace,
          release: () => lease.release(),
        });
      } catch (err) {
        await lease.release();
        throw err;
      }
    },
  };
}

/**
 * `storage.ips.driver: chain`: options are a chain spec (see chain-spec.ts), e.g.
 * `{ stores: [{ type: lmdb, path: ./state/lists }] }`. Stores with the same options share one
 * chain.
 */
export const chainIPs: IPStoreDriver = chainListDriver((o) => ChainIPStore.open(o));

/** `storage.strings.driver: chain`: options as for `storage.ips.driver: chain`. */
export const chainStrings: StringStoreDriver = chainListDriver((o) => ChainStringStore.open(o));
