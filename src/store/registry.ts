import { ShoalError } from '../bittorrent/errors.js';
import type { IPStoreDriver, PeerStoreDriver, StringStoreDriver } from './driver.js';

/** Something that yields a driver: the driver itself, or a lazy import of its module. */
export type DriverLoader<D> = D | (() => D | Promise<D>);

/**
 * Drivers by name. A loader is called the first time its name is used, so a tracker that
 * never names a driver never loads its module (or that module's client library).
 */
export class DriverRegistry<D extends object> {
  private readonly loaders = new Map<string, DriverLoader<D>>();
  private readonly loaded = new Map<string, Promise<D>>();
  private readonly kind: string;

  constructor(kind: string) {
    this.kind = kind;
  }

  /** Adds a driver; a name already taken is an error (SHOAL_E_DRIVER_EXISTS). */
  register(name: string, loader: DriverLoader<D>): void {
    if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) {
      throw new ShoalError('SHOAL_E_DRIVER_NAME', `bad ${this.kind} name: "${name}"`);
    }
    if (this.loaders.has(name)) {
      throw new ShoalError('SHOAL_E_DRIVER_EXISTS', `${this.kind} "${name}" is already registered`);
    }
    this.loaders.set(name, loader);
  }

  has(name: string): boolean {
    return this.loaders.has(name);
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.loaders.keys()].sort();
  }

  /** The driver of `name`, loading it once (SHOAL_E_DRIVER_UNKNOWN if nobody registered it). */
  get(name: string): Promise<D> {
    const cached = this.loaded.get(name);
    if (cached !== undefined) return cached;
    const loader = this.loaders.get(name);
    if (loader === undefined) {
      const known = this.names().join(', ');
      return Promise.reject(
        new ShoalError(
          'SHOAL_E_DRIVER_UNKNOWN',
          `unknown ${this.kind} "${name}" (registered: ${known})`,
        ),
      );
    }
    const p = Promise.resolve()
      .then(() => (typeof loader === 'function' ? loader() : loader))
      .catch((err: unknown) => {
        this.loaded.delete(name);
        throw new ShoalError(
          'SHOAL_E_DRIVER_LOAD',
          `cannot load ${this.kind} "${name}": ${(err as Error).message}`,
          { cause: err },
        );
      });
    this.loaded.set(name, p);
    return p;
  }
}

/** PeerStore drivers: `memory` and `redis` built in. */
export const peerStoreDrivers = new DriverRegistry<PeerStoreDriver>('peer store driver');
/** IPStore drivers: `memory` and `redis` built in. */
export const ipStoreDrivers = new DriverRegistry<IPStoreDriver>('ip store driver');
/** StringStore drivers: `memory` and `redis` built in. */
export const stringStoreDrivers = new DriverRegistry<StringStoreDriver>('string store driver');

peerStoreDrivers.register('memory', async () => (await import('./memory/drivers.js')).memoryPeers);
peerStoreDrivers.register(
  'redis',
  async () => (await import('./redis/redis-peer-driver.js')).redisPeers,
);
ipStoreDrivers.register('memory', async () => (await import('./memory/drivers.js')).memoryIPs);
stringStoreDrivers.register(
  'memory',
  async () => (await import('./memory/drivers.js')).memoryStrings,
);
ipStoreDrivers.register(
  'redis',
  async () => (await import('./redis/redis-list-drivers.js')).redisIPs,
);
stringStoreDrivers.register(
  'redis',
  async () => (await import('./redis/redis-list-drivers.js')).redisStrings,
);
// Chain store drivers (docs/chainstore.md): lists in memory, written through to a chain.
ipStoreDrivers.register('chain', async () => (await import('./chain/drivers.js')).chainIPs);
stringStoreDrivers.register('chain', async () => (await import('./chain/drivers.js')).chainStrings);
