import type { Family } from '../../bittorrent/address.js';
import { maskNetwork, networkContains } from '../../bittorrent/cidr.js';
import type { Network } from '../../bittorrent/cidr.js';
import type { DriverContext } from '../driver.js';
import type { IPStore } from '../ip-store.js';
import { BenchRandom, ip4, ip6, listOf } from './bench-data.js';
import { isPromise, runBenchCases, SetupBatch } from './bench-runner.js';
import type { BenchCase, BenchInfo, BenchOptions, BenchResult } from './bench-runner.js';

/** Options of `ipStoreBench`. */
export interface IPStoreBenchOptions extends BenchOptions<IPStore, DriverContext> {
  /**
   * Random networks of each family that the network benchmarks store (default 10 000): IPv4
   * prefixes /16 to /32, IPv6 prefixes /32 to /128.
   */
  networks?: number;
}

/** Length of every cycle: "1k". */
const N = 1000;
/** Index of an address that is never one of the 1000 stored ones. */
const ABSENT = 0x7fffffff;

/** One family's inputs. The network part is remade when the number of networks changes. */
interface FamilyData {
  readonly family: Family;
  /** 1000 single addresses, and one that is not among them. */
  readonly addrs: readonly Buffer[];
  readonly addrMiss: Buffer;
  networks: Network[];
  /** 1000 addresses, each inside a stored network (network j % count). */
  hits: Buffer[];
  /** Two addresses in no stored network. */
  misses: [Buffer, Buffer];
  /** A network that is not stored (for add + remove). */
  extra: Network;
}

function familyData(family: Family): FamilyData {
  const ip = family === 4 ? ip4 : ip6;
  const none = Buffer.alloc(family === 4 ? 4 : 16);
  const net: Network = { family, bytes: none, prefix: 0 };
  return {
    family,
    addrs: listOf(N, ip),
    addrMiss: ip(ABSENT),
    networks: [],
    hits: [],
    misses: [none, none],
    extra: net,
  };
}

const V4 = familyData(4);
const V6 = familyData(6);
let networkCount = 0;

/** A random address of `family`. */
function randomAddress(rnd: BenchRandom, family: Family): Buffer {
  const b = Buffer.alloc(family === 4 ? 4 : 16);
  rnd.fill(b);
  return b;
}

/** A random network: IPv4 /16 to /32, IPv6 /32 to /128 (host bits cleared). */
function randomNetwork(rnd: BenchRandom, family: Family): Network {
  const prefix = family === 4 ? 16 + rnd.below(17) : 32 + rnd.below(97);
  return maskNetwork({ family, bytes: randomAddress(rnd, family), prefix });
}

/** A random address inside `net`. */
function addressIn(rnd: BenchRandom, net: Network): Buffer {
  const b = randomAddress(rnd, net.family);
  for (let bit = 0; bit < net.prefix; bit++) {
    const byte = bit >>> 3;
    const mask = 0x80 >>> (bit & 7);
    b[byte] = (b[byte]! & ~mask) | (net.bytes[byte]! & mask);
  }
  return b;
}

function inAny(networks: readonly Network[], ip: Uint8Array, family: Family): boolean {
  for (const n of networks) if (networkContains(n, ip, family)) return true;
  return false;
}

function sameNetwork(a: Network, b: Network): boolean {
  return a.prefix === b.prefix && a.bytes.equals(b.bytes);
}

/** Makes the network inputs of one family for `count` networks (deterministic per count). */
function makeNetworks(d: FamilyData, count: number): void {
  const rnd = new BenchRandom(d.family === 4 ? 44 : 66);
  const networks = listOf(count, () => randomNetwork(rnd, d.family));
  d.networks = networks;
  d.hits = listOf(N, (j) => addressIn(rnd, networks[j % count]!));
  const miss = (): Buffer => {
    for (;;) {
      const b = randomAddress(rnd, d.family);
      if (!inAny(networks, b, d.family)) return b;
    }
  };
  d.misses = [miss(), miss()];
  for (;;) {
    const extra = randomNetwork(rnd, d.family);
    if (!networks.some((n) => sameNetwork(n, extra))) {
      d.extra = extra;
      break;
    }
  }
}

/** Adds the 1000 single addresses of both families. */
async function fillAddresses(s: IPStore): Promise<void> {
  const batch = new SetupBatch();
  for (const d of [V4, V6]) {
    for (const a of d.addrs) {
      const full = batch.add(s.addIP(a));
      if (full !== undefined) await full;
    }
  }
  await batch.flush();
}

/** Adds the networks of both families. */
async function fillNetworks(s: IPStore): Promise<void> {
  const batch = new SetupBatch();
  for (const d of [V4, V6]) {
    for (const n of d.networks) {
      const full = batch.add(s.addNetwork(n));
      if (full !== undefined) await full;
    }
  }
  await batch.flush();
}

function addRemove(s: IPStore, net: Network): unknown {
  const r = s.addNetwork(net);
  if (isPromise(r)) return r.then(() => s.removeNetwork(net));
  return s.removeNetwork(net);
}

/** The benchmarks of one family, named `Name/v4` or `Name/v6`. */
function familyCases(d: FamilyData): BenchCase<IPStore>[] {
  const v = `/v${d.family}`;
  const fam = `IPv${d.family}`;
  const addr = d.addrs[0]!;
  return [
    {
      name: `AddIP${v}`,
      doc: `addIP of one ${fam} address into an empty store (then again)`,
      op: (s) => s.addIP(addr),
    },
    {
      name: `AddIP1k${v}`,
      doc: `addIP of 1000 ${fam} addresses in turn into an empty store (then again)`,
      op: (s, i) => s.addIP(d.addrs[i % N]!),
    },
    {
      name: `ContainsIPHit${v}`,
      doc: `contains of one stored ${fam} address; 1000 addresses of each family stored`,
      setup: fillAddresses,
      op: (s) => s.contains(addr),
    },
    {
      name: `ContainsIPMiss${v}`,
      doc: `contains of an absent ${fam} address; 1000 addresses of each family stored`,
      setup: fillAddresses,
      op: (s) => s.contains(d.addrMiss),
    },
    {
      name: `ContainsIP1k${v}`,
      doc: `contains of the 1000 stored ${fam} addresses in turn`,
      setup: fillAddresses,
      op: (s, i) => s.contains(d.addrs[i % N]!),
    },
    {
      name: `ContainsNetworkHit${v}`,
      doc: `contains of an ${fam} address inside a stored network; 10 000 networks per family`,
      setup: fillNetworks,
      op: (s) => s.contains(d.hits[0]!),
    },
    {
      name: `ContainsNetworkMiss${v}`,
      doc: `contains of an ${fam} address in no stored network; 10 000 networks per family`,
      setup: fillNetworks,
      op: (s) => s.contains(d.misses[0]),
    },
    {
      name: `ContainsNetwork1k${v}`,
      doc: `contains of 1000 ${fam} addresses in turn, each inside a different stored network`,
      setup: fillNetworks,
      op: (s, i) => s.contains(d.hits[i % N]!),
    },
    {
      name: `AddRemoveNetwork${v}`,
      doc: `addNetwork then removeNetwork of one ${fam} network; 10 000 networks per family`,
      setup: fillNetworks,
      op: (s) => addRemove(s, d.extra),
    },
    {
      name: `ContainsAny${v}`,
      doc: `containsAny of 2 ${fam} addresses, neither contained; 10 000 networks per family`,
      setup: fillNetworks,
      op: (s) => s.containsAny(d.misses),
    },
  ];
}

const CASES: readonly BenchCase<IPStore>[] = [...familyCases(V4), ...familyCases(V6)];

/**
 * The IPStore benchmarks, in the order they run; each starts from an empty store. Network
 * counts are those of the default `networks` option.
 */
export const ipStoreBenchmarks: readonly BenchInfo[] = CASES.map(({ name, doc }) => ({
  name,
  doc,
}));

/**
 * Runs the IPStore benchmarks against stores from `opts.create`, one fresh store each. Addresses
 * and networks are deterministic and made before timing starts; a miss is checked to be in no
 * stored network.
 */
export async function ipStoreBench(opts: IPStoreBenchOptions): Promise<BenchResult[]> {
  const count = opts.networks ?? 10_000;
  if (!(Number.isInteger(count) && count >= 1)) {
    throw new RangeError(`networks must be a positive integer, not ${count}`);
  }
  return runBenchCases(
    CASES,
    opts,
    (_name, base) => base,
    () => {
      if (count === networkCount) return;
      makeNetworks(V4, count);
      makeNetworks(V6, count);
      networkCount = count;
    },
  );
}
