// Micro-benchmark of MemoryIPStore.contains (the ban/allow-list check on every announce) against
// a linear scan of the same networks (NetworkList), at 10 and 10,000 networks. Not a test; run
// on a quiet machine and compare before/after a change:
//   npm run build && node bench/ip-store-micro.js
import { parseIP } from '../dist/bittorrent/address.js';
import { NetworkList, parseNetwork } from '../dist/bittorrent/cidr.js';
import { MemoryIPStore } from '../dist/store/memory/memory-ip-store.js';

const ITERATIONS = Number(process.env.ITERATIONS ?? 1_000_000);

function bench(name, iterations, fn) {
  for (let i = 0; i < Math.min(iterations, 20000); i++) fn(i); // warm up the JIT
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  console.log(`${name.padEnd(48)} ${ns.toFixed(0).padStart(7)} ns/op`);
}

function ip(text) {
  const b = Buffer.alloc(16);
  return b.subarray(0, parseIP(text, b) === 4 ? 4 : 16);
}

/** `count` networks: IPv4 /24s and IPv6 /48s spread by a multiplicative hash. */
function networks(count) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const h = Math.imul(i + 1, 2654435761) >>> 0;
    if (i % 2 === 0) out.push(`${(h >>> 24) | 1}.${(h >>> 16) & 255}.${(h >>> 8) & 255}.0/24`);
    else out.push(`2001:${(h >>> 16).toString(16)}:${(h & 0xffff).toString(16)}::/48`);
  }
  return out;
}

// Probes that miss (the common case: most clients are not banned) and one that hits.
const probes = [ip('203.0.113.7'), ip('2001:db8:1::7'), ip('198.51.100.1'), ip('2a00::1')];

for (const count of [10, 10_000]) {
  const texts = networks(count);
  const store = new MemoryIPStore();
  for (const t of texts) store.addNetwork(parseNetwork(t));
  const list = new NetworkList(texts);
  const hit = ip(texts[count - 2].replace('.0/24', '.9'));
  const all = [...probes, hit];
  bench(`MemoryIPStore.contains, ${count} networks`, ITERATIONS, (i) =>
    store.contains(all[i % all.length]),
  );
  bench(
    `NetworkList.contains (linear), ${count} networks`,
    count > 100 ? ITERATIONS / 100 : ITERATIONS,
    (i) => {
      const a = all[i % all.length];
      return list.contains(a, a.length === 4 ? 4 : 6);
    },
  );
}
