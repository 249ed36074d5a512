// Micro-benchmark behind RedisIPStore.contains. Not a test; needs a Redis (SHOAL_TEST_REDIS,
// default redis://127.0.0.1:6379). Run on a quiet machine:
//   npm run build && node bench/redis-ip-contains.js
//
// Four ways to ask "is this address in the list" in one round trip:
//   store          RedisIPStore: one SMISMEMBER of all 34 (IPv4) or 130 (IPv6) candidate
//                  members, its RESP frame written in place
//   ioredis args   the same SMISMEMBER sent as client.smismember(key, members)
//   Lua, all       a script that builds every candidate in Lua and sends one SMISMEMBER
//   Lua, in use    a script that reads the prefix lengths in use from a second key (a hash
//                  kept in step on add and remove) and builds only those candidates
// over two list shapes: many prefix lengths (as in the store benchmark) and two per family.
//
// Columns: microseconds per contains with one call in flight (latency) and with 64 in flight
// (throughput), then Redis's own microseconds per call from INFO commandstats: the part that
// every tracker sharing that Redis pays for.
import { maskNetwork } from '../dist/bittorrent/cidr.js';
import { createLogger } from '../dist/log/logger.js';
import { acquireRedis } from '../dist/store/redis/redis-connection.js';
import { IP_MEMBER_NETWORK, ipMember } from '../dist/store/redis/redis-ip-members.js';
import { RedisIPStore } from '../dist/store/redis/redis-ip-store.js';
import { parseRedisOptions } from '../dist/store/redis/redis-options.js';
import { deletePrefix } from '../dist/store/redis/redis-test-support.js';

const OPS = Number(process.env.OPS ?? 20000);
const url = process.env.SHOAL_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const prefix = `shoal-bench:ip-contains:${process.pid}:`;

// Candidate members of an address in Lua: itself as a single entry, then its network for each
// prefix length of `lens` ([byte length][prefix length] strings), or every length when nil.
// One SMISMEMBER for all: each redis.call costs a microsecond or more.
const LUA_CANDIDATES = `
local masks = {128, 192, 224, 240, 248, 252, 254}
local zeros = string.rep('\\0', 16)
local function candidates(ip, lens)
  local n = #ip
  local out = {'\\0' .. string.char(n * 8) .. ip}
  local function add(p)
    local full = math.floor(p / 8)
    local r = p % 8
    local m = string.sub(ip, 1, full)
    if r > 0 then
      m = m .. string.char(bit.band(string.byte(ip, full + 1), masks[r]))
      full = full + 1
    end
    out[#out + 1] = '\\1' .. string.char(p) .. m .. string.sub(zeros, 1, n - full)
  end
  if lens == nil then
    for p = 0, n * 8 do add(p) end
  else
    for i = 1, #lens do
      if string.byte(lens[i], 1) == n then add(string.byte(lens[i], 2)) end
    end
  end
  return out
end
local function any(replies)
  for i = 1, #replies do if replies[i] == 1 then return 1 end end
  return 0
end
`;
// KEYS[1]: the set. ARGV[1]: the address.
const LUA_ALL = `${LUA_CANDIDATES}
return any(redis.call('SMISMEMBER', KEYS[1], unpack(candidates(ARGV[1], nil))))`;
// KEYS[2]: a hash from [byte length][prefix length] to its number of networks.
const LUA_IN_USE = `${LUA_CANDIDATES}
local lens = redis.call('HKEYS', KEYS[2])
return any(redis.call('SMISMEMBER', KEYS[1], unpack(candidates(ARGV[1], lens))))`;

/** The store's candidates as separate Buffers, for `client.smismember`. */
function candidates(ip) {
  const n = ip.length;
  const out = [ipMember(0, n * 8, ip)];
  for (let p = 0; p <= n * 8; p++) {
    out.push(
      ipMember(
        IP_MEMBER_NETWORK,
        p,
        maskNetwork({ family: n === 4 ? 4 : 6, bytes: ip, prefix: p }).bytes,
      ),
    );
  }
  return out;
}

let seed = 0x12345;
function rand() {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}
function randomBytes(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i += 4) b.writeUInt32BE(rand(), i);
  return b;
}

const SHAPES = {
  'many lengths': (v6) => (v6 ? 32 + (rand() % 97) : 16 + (rand() % 17)),
  'two lengths': (v6) => (v6 ? (rand() & 1 ? 48 : 64) : rand() & 1 ? 24 : 32),
};

async function commandStats(client) {
  const text = await client.info('commandstats');
  const out = {};
  for (const m of text.matchAll(/cmdstat_(\w+):calls=(\d+),usec=(\d+)/g)) {
    out[m[1]] = Number(m[3]);
  }
  return out;
}

async function measure(client, name, fn, probes) {
  for (let i = 0; i < 2000; i++) await fn(probes[i % probes.length]);
  const before = await commandStats(client);
  let t = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) await fn(probes[i % probes.length]);
  const latency = Number(process.hrtime.bigint() - t) / 1000 / OPS;
  t = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < OPS) await fn(probes[next++ % probes.length]);
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  const throughput = Number(process.hrtime.bigint() - t) / 1000 / OPS;
  const after = await commandStats(client);
  let usec = 0;
  for (const cmd of ['smismember', 'evalsha']) usec += (after[cmd] ?? 0) - (before[cmd] ?? 0);
  const f = (x) => x.toFixed(1).padStart(8);
  console.log(`${name.padEnd(34)} ${f(latency)} ${f(throughput)} ${f(usec / (2 * OPS))}`);
}

const lease = await acquireRedis(parseRedisOptions({ url }), createLogger('silent'));
const client = lease.client;
const luaAll = await client.script('LOAD', LUA_ALL);
const luaInUse = await client.script('LOAD', LUA_IN_USE);
console.log(`${OPS} lookups per figure, 10 000 networks per family, half the probes inside one`);
console.log(
  `${'µs per contains'.padEnd(34)} ${'latency'.padStart(8)} ${'64 in fl'.padStart(8)} ${'Redis'.padStart(8)}`,
);
try {
  for (const [shape, lengthOf] of Object.entries(SHAPES)) {
    const store = new RedisIPStore({ client, namespace: shape, prefix });
    const lens = `${prefix}{${shape}}:ip-prefixes`;
    const probes = { 4: [], 6: [] };
    for (const v6 of [false, true]) {
      const n = v6 ? 16 : 4;
      const pipe = client.pipeline();
      for (let i = 0; i < 10000; i++) {
        const net = maskNetwork({
          family: v6 ? 6 : 4,
          bytes: randomBytes(n),
          prefix: lengthOf(v6),
        });
        pipe.sadd(store.key, ipMember(IP_MEMBER_NETWORK, net.prefix, net.bytes));
        pipe.hincrby(lens, Buffer.from([n, net.prefix]), 1);
        const inside = Buffer.from(net.bytes);
        inside[n - 1] |= rand() & (0xff >>> Math.max(0, net.prefix - (n - 1) * 8));
        probes[v6 ? 6 : 4].push(i % 2 === 0 ? inside : randomBytes(n));
      }
      await pipe.exec();
    }
    for (const family of [4, 6]) {
      const p = probes[family];
      const tag = `${shape}, IPv${family}`;
      await measure(client, `store, ${tag}`, (ip) => store.contains(ip), p);
      await measure(
        client,
        `ioredis args, ${tag}`,
        (ip) => client.smismember(store.key, candidates(ip)).then((r) => r.includes(1)),
        p,
      );
      await measure(
        client,
        `Lua all, ${tag}`,
        (ip) => client.evalsha(luaAll, 1, store.key, ip).then((r) => r === 1),
        p,
      );
      await measure(
        client,
        `Lua in use, ${tag}`,
        (ip) => client.evalsha(luaInUse, 2, store.key, lens, ip).then((r) => r === 1),
        p,
      );
    }
  }
} finally {
  await deletePrefix(client, prefix);
  await lease.release();
}
