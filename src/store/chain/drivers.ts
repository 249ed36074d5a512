import type { IPStoreDriver, StringStoreDriver } from '../driver.js';
import { acquireChain } from './chain-connection.js';
import { ChainIPStore } from './chain-ip-store.js';
import { ChainStringStore } from './chain-string-store.js';

/**
 * `storage.ips.driver: chain`: options are a chain spec (see chain-spec.ts), e.g.
 * `{ stores: [{ type: lmdb, path: ./state/lists }] }`. Stores with the same options share one
 * chain.
 */
export const chainIPs: IPStoreDriver = {
  async create(options, ctx) {
    const lease = await acquireChain(options, ctx.log);
    try {
      return await ChainIPStore.open({
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

/** `storage.strings.driver: chain`: options as for `storage.ips.driver: chain`. */
export const chainStrings: StringStoreDriver = {
  async create(options, ctx) {
    const lease = await acquireChain(options, ctx.log);
    try {
      return await ChainStringStore.open({
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
