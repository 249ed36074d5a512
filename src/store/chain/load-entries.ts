import type { KvStore } from '../../chainstore/kv-store.js';
import { KvError } from '../../chainstore/kv-error.js';

/** Keys of `store` under `prefix`; SHOAL_E_KV_UNSUPPORTED if the store cannot list. */
export async function listKeys(store: KvStore, prefix: Buffer): Promise<Uint8Array[]> {
  if (typeof store.keys !== 'function') {
    throw new KvError(
      'SHOAL_E_KV_UNSUPPORTED',
      'the chain driver needs a chain that lists keys (no hashKeys, and a store with keys())',
    );
  }
  return store.keys(prefix);
}

/** Calls `each` with every key and value under `prefix`, reading up to 32 values at once. */
export async function loadEntries(
  store: KvStore,
  prefix: Buffer,
  each: (key: Buffer, value: Uint8Array) => void,
): Promise<void> {
  const keys = await listKeys(store, prefix);
  for (let i = 0; i < keys.length; i += 32) {
    const batch = keys.slice(i, i + 32);
    const values = await Promise.all(batch.map((k) => store.get(k)));
    values.forEach((v, j) => {
      if (v !== undefined) each(Buffer.from(batch[j]!), v);
    });
  }
}
