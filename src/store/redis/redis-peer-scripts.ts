/**
 * The Lua scripts of the Redis PeerStore. Each method of the store is one script, so each is
 * one round trip and atomic (Redis runs a script with nothing interleaved). Every key a script
 * touches is passed in KEYS and carries the swarm's hash tag, so on a Redis Cluster all of them
 * live on the node that runs the script.
 *
 * Scores are last-seen times in seconds from the tracker's clock, passed in ARGV (never Redis
 * TIME): trackers sharing a Redis agree on time through their own clocks, and tests drive
 * expiry with a fake one. A member whose score is below `now - lifetime` is expired: scripts
 * delete those from the keys they touch before reading them ("trim when touched").
 *
 * Random choices use math.random seeded from ARGV: Redis before 7.0 reseeds the Lua generator
 * with a constant before every script, which would make every "random" choice the same.
 */

/**
 * One announce: trim, write, select, count.
 *
 * KEYS: own-family seeders, own-family leechers, other-family seeders, other-family leechers,
 * downloads. ARGV: peer, now, lifetime, key TTL (seconds), action (`x` stopped, `l` leecher,
 * `s` seeder, `c` completed), numWant, random seed.
 *
 * Returns `{complete, incomplete, downloaded, peers}`, peers being the selected compact
 * records concatenated into one binary string.
 *
 * Selection reads at most numWant members, never a whole swarm larger than that: from each
 * set a window of consecutive ranks at a random start, wrapping past the end (so every member
 * is in exactly `count` of the `n` possible windows: chance count / n). A leecher's candidates
 * are the own-family seeders and leechers; the number taken from the seeders is
 * numWant * seeders / candidates, rounded up or down at random so that its expectation is
 * exact, which gives every candidate the same chance numWant / candidates. A leecher is taken
 * out of its set while the peers are drawn, so it cannot draw itself, and put back after.
 *
 * Windows rather than ZRANDMEMBER: on a 1000-peer swarm this script costs Redis about half the
 * time (ZRANDMEMBER with a count builds a dictionary of the members it picks; a window is a
 * skiplist walk). Windows of the score (last-seen) order return peers that announced at about
 * the same time together, as the memory driver's random run returns neighbours in address
 * order; each candidate's chance stays fair.
 */
export const ANNOUNCE_LUA = `
local own_s, own_l, dkey = KEYS[1], KEYS[2], KEYS[5]
local peer, now, ttl, action = ARGV[1], tonumber(ARGV[2]), ARGV[4], ARGV[5]
local want = tonumber(ARGV[6])
local cutoff = now - tonumber(ARGV[3])
local stale = '(' .. cutoff
-- Trim the sets peers are drawn from; the other family is only counted (ZCOUNT of fresh
-- members), which costs Redis two calls fewer per announce than trimming it too.
redis.call('ZREMRANGEBYSCORE', own_s, '-inf', stale)
redis.call('ZREMRANGEBYSCORE', own_l, '-inf', stale)

local seeder = action == 's' or action == 'c'
local self_in = nil
if action == 'x' then
  redis.call('ZREM', own_s, peer)
  redis.call('ZREM', own_l, peer)
  want = 0
elseif seeder then
  redis.call('ZREM', own_l, peer)
  -- ZADD counts only new members: a peer that was not already a seeder.
  if redis.call('ZADD', own_s, now, peer) == 1 and action == 'c' then
    redis.call('INCR', dkey)
  end
  redis.call('EXPIRE', own_s, ttl)
else
  redis.call('ZREM', own_s, peer)
  -- Written before the draw (one call instead of a remove and a re-add): the draw skips it.
  redis.call('ZADD', own_l, now, peer)
  redis.call('EXPIRE', own_l, ttl)
  self_in = own_l
end

-- count members of key (of n) from a random rank on, wrapping past the end; when the peer
-- itself is in key, one more is read and the peer (or, if absent, the last one) dropped.
local function window(key, n, count)
  if count <= 0 then return '' end
  local skip = key == self_in
  local take = count
  if skip then take = count + 1 end
  local got
  if take >= n then
    got = redis.call('ZRANGE', key, 0, -1)
  else
    local first = math.random(n) - 1
    local last = first + take - 1
    if last < n then
      got = redis.call('ZRANGE', key, first, last)
    else
      got = redis.call('ZRANGE', key, first, -1)
      local rest = redis.call('ZRANGE', key, 0, last - n)
      for i = 1, #rest do got[#got + 1] = rest[i] end
    end
  end
  if skip then
    local out, j = {}, 0
    for i = 1, #got do
      if got[i] ~= peer and j < count then j = j + 1; out[j] = got[i] end
    end
    return table.concat(out)
  end
  return table.concat(got)
end

local ns = redis.call('ZCARD', own_s)
local nl = redis.call('ZCARD', own_l)
local peers = ''
if want > 0 then
  math.randomseed(tonumber(ARGV[7]))
  if seeder then
    peers = window(own_l, nl, want)
  else
    local others = nl - 1
    local total = ns + others
    local ks = ns
    if total > want then
      ks = math.floor(want * ns / total + math.random())
      if ks > ns then ks = ns end
      if want - ks > others then ks = want - others end
    end
    peers = window(own_s, ns, ks) .. window(own_l, nl, math.min(want - ks, others))
  end
end

local min = cutoff
local complete = ns + redis.call('ZCOUNT', KEYS[3], min, '+inf')
local incomplete = nl + redis.call('ZCOUNT', KEYS[4], min, '+inf')
local d = redis.call('GET', dkey)
-- The download count lives as long as the swarm is written to (no key, no call).
if d and action ~= 'x' then redis.call('EXPIRE', dkey, ttl) end
return {complete, incomplete, tonumber(d or '0'), peers}
`;

/**
 * putSeeder, putLeecher and graduateLeecher: the peer goes into one role, leaving the other.
 *
 * KEYS: the role it takes, the role it leaves (same family), downloads. ARGV: peer, now,
 * lifetime, key TTL, `1` to count a download when the peer left the other role (graduate).
 * Returns 1 if the peer was in the role it left.
 */
export const PUT_LUA = `
local stale = '(' .. (tonumber(ARGV[2]) - tonumber(ARGV[3]))
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', stale)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', stale)
local moved = redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[4])
if moved == 1 and ARGV[5] == '1' then redis.call('INCR', KEYS[3]) end
redis.call('EXPIRE', KEYS[3], ARGV[4])
return moved
`;

/**
 * deleteSeeder and deleteLeecher. KEYS: the role's key. ARGV: peer, now, lifetime. Returns 1
 * if the peer was there (and not expired).
 */
export const DELETE_LUA = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (tonumber(ARGV[2]) - tonumber(ARGV[3])))
return redis.call('ZREM', KEYS[1], ARGV[1])
`;

/**
 * scrape, read-only: members last seen at or after ARGV[1] (now - lifetime), so an expired but
 * not yet trimmed peer is not counted. KEYS: s4, l4, s6, l6, downloads.
 */
export const SCRAPE_LUA = `
local min = ARGV[1]
local complete = redis.call('ZCOUNT', KEYS[1], min, '+inf') + redis.call('ZCOUNT', KEYS[3], min, '+inf')
local incomplete = redis.call('ZCOUNT', KEYS[2], min, '+inf') + redis.call('ZCOUNT', KEYS[4], min, '+inf')
return {complete, incomplete, tonumber(redis.call('GET', KEYS[5]) or '0')}
`;
