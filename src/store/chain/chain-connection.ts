import type { ChainKvStore } from '../../chainstore/chain.js';
import { createChainFromSpec, parseChainSpec } from '../../chainstore/chain-spec.js';
import type { KvError } from '../../chainstore/kv-error.js';
import type { Logger } from '../../log/logger.js';

/** A chain shared by every store opened with the same options; release() when done. */
export interface ChainLease {
  readonly chain: ChainKvStore;
  release(): Promise<void>;
}

interface Shared {
  chain: Promise<ChainKvStore>;
  users: number;
}

const open = new Map<string, Shared>();

/**
 * The chain of `options` (a chain spec), opened once per process and shared: each hook opens
 * its own IPStore or StringStore, and an LMDB environment must not be opened twice. The last
 * release closes it. Background failures are logged (SHOAL_E_KV_BACKGROUND) with `log`.
 */
export async function acquireChain(
  options: Readonly<Record<string, unknown>>,
  log: Logger,
): Promise<ChainLease> {
  const spec = parseChainSpec(options);
  const id = JSON.stringify(spec);
  let shared = open.get(id);
  if (shared === undefined) {
    const chain = createChainFromSpec(spec);
    chain.on('error', (err: KvError) =>
      log.error({ err, code: err.code }, 'chain store background write failed'),
    );
    const s: Shared = { chain: chain.open().then(() => chain), users: 0 };
    s.chain.catch(() => {
      if (open.get(id) === s) open.delete(id);
    });
    open.set(id, s);
    shared = s;
  }
  const s = shared;
  const chain = await s.chain;
  s.users++;
  let released = false;
  return {
    chain,
    async release() {
      if (released) return;
      released = true;
      if (--s.users > 0) return;
      if (open.get(id) === s) open.delete(id);
      await chain.close();
    },
  };
}
