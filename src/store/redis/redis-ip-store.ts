import type { Network } from '../../bittorrent/cidr.js';
import { maskNetwork } from '../../bittorrent/cidr.js';
import type { IPStore } from '../ip-store.js';
import type { RedisClient } from './redis-connection.js';
import { isOne, nothing } from './redis-set-store.js';
import type { RedisSetStoreOptions } from './redis-set-store.js';
import {
  CandidatesCommand,
  candidateCount,
  candidatesFrame,
  checkIP,
  checkNetwork,
  IP_MEMBER_NETWORK,
  IP_MEMBER_SINGLE,
  ipMember,
  smismemberHeader,
} from './redis-ip-members.js';
import { storeUnavailable } from './redis-store-error.js';

/** What a RedisIPStore is made of. */
export type RedisIPStoreOptions = RedisSetStoreOptions;

/** The key of a store's set: the namespace is the hash tag, so a store sits in one slot. */
export function redisIPStoreKey(prefix: string, namespace: string): string {
  return `${prefix}{${namespace}}:ips`;
}

/** The reply of SMISMEMBER for one address: contained if any candidate is a member. */
function anyOne(replies: number[]): boolean {
  for (let i = 0; i < replies.length; i++) if (replies[i] === 1) return true;
  return false;
}

/**
 * IPStore on Redis: every entry of a store is a member of one Redis SET,
 * `<prefix>{<namespace>}:ips` (see redis-ip-members.ts for the member bytes), so a list that
 * several trackers share is one key, in one cluster slot.
 *
 * `contains` is one round trip whatever the number of entries: one SMISMEMBER of every member
 * that would contain the address, that is the address as a single entry and its network for
 * each prefix length (34 candidates for IPv4, 130 for IPv6), computed here. `containsAll` and
 * `containsAny` send one SMISMEMBER with the candidates of all their addresses.
 *
 * The other design measured (bench/redis-ip-contains.js) was a Lua script that reads the prefix
 * lengths in use from a second key and builds only their candidates. It sends less, and for an
 * IPv6 list of two or three lengths it costs Redis less; but Lua's string building costs Redis
 * several times the SMISMEMBER once a list uses many lengths (as range lists cut into CIDR
 * blocks do), and more for IPv4 lists of any shape, and Redis is the part every tracker shares.
 * SMISMEMBER costs the same whatever the list, needs no script loaded on every node and no
 * second key kept in step, and an operator can add a member by hand.
 *
 * A failed command (Redis down, a timeout) rejects with a ShoalError `SHOAL_E_STORE_UNAVAILABLE`;
 * a bad address or network throws RangeError at once, as MemoryIPStore does.
 */
export class RedisIPStore implements IPStore {
  /** The Redis key of the set. */
  readonly key: string;
  private readonly client: RedisClient;
  private readonly release: (() => Promise<void>) | undefined;
  /** Frame starts of a one-address SMISMEMBER, by family, made once. */
  private readonly header4: Buffer;
  private readonly header6: Buffer;
  /** One rejection handler per store, not a closure per command. */
  private readonly fail: (err: unknown) => never;

  constructor(o: RedisIPStoreOptions) {
    this.client = o.client;
    this.key = redisIPStoreKey(o.prefix ?? 'shoal:', o.namespace);
    this.release = o.release;
    this.header4 = smismemberHeader(this.key, candidateCount(4));
    this.header6 = smismemberHeader(this.key, candidateCount(16));
    const key = this.key;
    this.fail = (err) => {
      throw storeUnavailable(key, err);
    };
  }

  addIP(ip: Uint8Array): Promise<void> {
    const m = ipMember(IP_MEMBER_SINGLE, checkIP(ip).length * 8, ip);
    return this.client.sadd(this.key, m).then(nothing, this.fail);
  }

  removeIP(ip: Uint8Array): Promise<boolean> {
    const m = ipMember(IP_MEMBER_SINGLE, checkIP(ip).length * 8, ip);
    return this.client.srem(this.key, m).then(isOne, this.fail);
  }

  addNetwork(net: Network): Promise<void> {
    const n = maskNetwork(checkNetwork(net));
    const m = ipMember(IP_MEMBER_NETWORK, n.prefix, n.bytes);
    return this.client.sadd(this.key, m).then(nothing, this.fail);
  }

  removeNetwork(net: Network): Promise<boolean> {
    const n = maskNetwork(checkNetwork(net));
    const m = ipMember(IP_MEMBER_NETWORK, n.prefix, n.bytes);
    return this.client.srem(this.key, m).then(isOne, this.fail);
  }

  contains(ip: Uint8Array): Promise<boolean> {
    const header = checkIP(ip).length === 4 ? this.header4 : this.header6;
    return this.lookUp(candidatesFrame(header, [ip])).then(anyOne, this.fail);
  }

  containsAll(ips: readonly Uint8Array[]): boolean | Promise<boolean> {
    if (ips.length === 0) return true;
    return this.lookUpEach(ips).then((found) => !found.includes(false));
  }

  containsAny(ips: readonly Uint8Array[]): boolean | Promise<boolean> {
    if (ips.length === 0) return false;
    return this.lookUpEach(ips).then((found) => found.includes(true));
  }

  /** Sends one SMISMEMBER frame; resolves to its replies (1 for a member, 0 otherwise). */
  private lookUp(frame: Buffer): Promise<number[]> {
    const cmd = new CandidatesCommand(this.key, frame);
    // sendCommand returns the command's promise, through which ioredis reports every failure.
    void this.client.sendCommand(cmd);
    return cmd.promise as Promise<number[]>;
  }

  /** Whether each of `ips` is contained, from one SMISMEMBER of all their candidates. */
  private lookUpEach(ips: readonly Uint8Array[]): Promise<boolean[]> {
    let total = 0;
    for (const ip of ips) total += candidateCount(checkIP(ip).length);
    const frame = candidatesFrame(smismemberHeader(this.key, total), ips);
    return this.lookUp(frame).then((replies) => {
      const found: boolean[] = [];
      let at = 0;
      for (const ip of ips) {
        let hit = false;
        for (const end = at + candidateCount(ip.length); at < end; at++) {
          if (replies[at] === 1) hit = true;
        }
        found.push(hit);
      }
      return found;
    }, this.fail);
  }

  /** Readiness: one PING through this store's connection (rejects when Redis is gone). */
  async ping(): Promise<void> {
    await this.client.ping().catch(this.fail);
  }

  /** Lets go of the connection; the entries stay in Redis (they are the list). */
  async close(): Promise<void> {
    await this.release?.();
  }
}
