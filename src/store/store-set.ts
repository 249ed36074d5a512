import { ShoalError } from '../bittorrent/errors.js';
import { ConfigError } from '../config/config.js';
import type { ShoalConfig } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import type { DriverContext, PeerStoreContext, StoreDriver } from './driver.js';
import type { IPStore } from './ip-store.js';
import type { PeerStore } from './peer-store.js';
import type { DriverRegistry } from './registry.js';
import { ipStoreDrivers, peerStoreDrivers, stringStoreDrivers } from './registry.js';
import type { StringStore } from './string-store.js';

type Choice = ShoalConfig['storage']['peers'];

/** Checks that every configured storage driver is registered (`shoal --check`). */
export function checkStorageDrivers(storage: ShoalConfig['storage']): void {
  const kinds = [
    ['peers', storage.peers, peerStoreDrivers],
    ['ips', storage.ips, ipStoreDrivers],
    ['strings', storage.strings, stringStoreDrivers],
  ] as const;
  for (const [kind, choice, registry] of kinds) {
    if (!registry.has(choice.driver)) {
      throw new ConfigError(
        `storage.${kind}.driver: unknown driver "${choice.driver}" (registered: ${registry.names().join(', ')})`,
      );
    }
  }
}

/**
 * The stores one tracker opens, from the drivers `storage` names: one PeerStore, and one IPStore
 * or StringStore per namespace a hook asks for. Closes them all at shutdown.
 */
export class StoreSet {
  private readonly storage: ShoalConfig['storage'];
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly opened: { close(): Promise<void> }[] = [];
  /** Every store opened that can `ping` its server, by `kind:namespace` (readiness). */
  private readonly pingable: { name: string; ping(): void | Promise<void> }[] = [];

  constructor(storage: ShoalConfig['storage'], log: Logger, now: () => number) {
    this.storage = storage;
    this.log = log;
    this.now = now;
  }

  openPeerStore(peerLifetime: number, maxNumWant: number): Promise<PeerStore> {
    const ctx: PeerStoreContext = {
      namespace: 'peers',
      now: this.now,
      log: this.log,
      peerLifetime,
      maxNumWant,
    };
    return this.open('peers', this.storage.peers, peerStoreDrivers, ctx);
  }

  openIPStore(namespace: string): Promise<IPStore> {
    return this.open('ips', this.storage.ips, ipStoreDrivers, this.context(namespace));
  }

  openStringStore(namespace: string): Promise<StringStore> {
    return this.open('strings', this.storage.strings, stringStoreDrivers, this.context(namespace));
  }

  /** The opened stores that can check their server (`ping`), for /readyz. */
  pingables(): readonly { name: string; ping(): void | Promise<void> }[] {
    return this.pingable;
  }

  /** Closes every store opened, reporting the first failure after trying them all. */
  async close(): Promise<void> {
    const results = await Promise.allSettled(this.opened.splice(0).map((s) => s.close()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  private context(namespace: string): DriverContext {
    return { namespace, now: this.now, log: this.log };
  }

  private async open<S extends { close(): Promise<void> }, C extends DriverContext>(
    kind: string,
    choice: Choice,
    registry: DriverRegistry<StoreDriver<S, C>>,
    ctx: C,
  ): Promise<S> {
    const driver = await registry.get(choice.driver).catch((err: unknown) => {
      throw new ConfigError(`storage.${kind}.driver: ${(err as Error).message}`, { cause: err });
    });
    let store: S;
    try {
      store = await driver.create(choice.options, ctx);
    } catch (err) {
      // Not always a config mistake (a database may be down): a stable code, and the key.
      throw new ShoalError(
        'SHOAL_E_STORE_OPEN',
        `storage.${kind} (driver ${choice.driver}): ${(err as Error).message}`,
        { cause: err },
      );
    }
    this.opened.push(store);
    const p = store as { ping?: () => void | Promise<void> };
    if (typeof p.ping === 'function') {
      const ping = p.ping.bind(store);
      this.pingable.push({ name: `store:${kind}:${ctx.namespace}`, ping });
    }
    return store;
  }
}
