import type { Network } from '../bittorrent/cidr.js';

/**
 * A set of IP addresses and CIDR networks, IPv4 and IPv6: ban lists and allow-lists.
 *
 * Conventions:
 * - An address is its bytes: 4 for IPv4, 16 for IPv6. IPv4 is always given in its 4-byte form
 *   (the frontends and `parseNetwork` turn IPv4-mapped IPv6 into it), so an IPv4 entry never
 *   matches an IPv6 address and no IPv6 network (not even `::/0`) contains an IPv4 address.
 * - A network's host bits (those past the prefix) are ignored: 10.1.2.3/8 is 10.0.0.0/8.
 * - Single addresses and networks are separate entries: removing an address leaves a network
 *   that contains it (the address is still "in the store"), and removing a network leaves the
 *   addresses added on their own. Networks may contain or overlap each other; each stays until
 *   it is removed itself. Adding an entry twice is the same as adding it once.
 * - Methods may return a promise; the memory driver never does.
 *
 * `ipStoreSuite` (in `shoal/testing`) checks every documented behaviour against a driver.
 */
export interface IPStore {
  /** Adds one address. */
  addIP(ip: Uint8Array): void | Promise<void>;

  /** Removes one address added with addIP; false if it was not there. */
  removeIP(ip: Uint8Array): boolean | Promise<boolean>;

  /** Adds a network. */
  addNetwork(net: Network): void | Promise<void>;

  /** Removes a network added with addNetwork (compared after masking); false if absent. */
  removeNetwork(net: Network): boolean | Promise<boolean>;

  /** True if `ip` was added as an address or lies inside any stored network. */
  contains(ip: Uint8Array): boolean | Promise<boolean>;

  /** True if every address of `ips` is contained (true for an empty list). */
  containsAll(ips: readonly Uint8Array[]): boolean | Promise<boolean>;

  /** True if any address of `ips` is contained (false for an empty list). */
  containsAny(ips: readonly Uint8Array[]): boolean | Promise<boolean>;

  /** Optional capability: rejects when the store's server is unreachable (readiness). */
  ping?(): void | Promise<void>;
  /** Releases resources. Further calls are not allowed. */
  close(): Promise<void>;
}
