import { AnnounceRequest, AnnounceResponse, ScrapeEntry } from '../../bittorrent/announce.js';
import type { PeerStoreContext } from '../driver.js';
import type { PeerStore } from '../peer-store.js';
import { infoHashKeys, listOf, peer4, peer6 } from './bench-data.js';
import { isPromise, runBenchCases, SetupBatch } from './bench-runner.js';
import type { BenchCase, BenchInfo, BenchOp, BenchOptions, BenchResult } from './bench-runner.js';

/** Options of `peerStoreBench`. */
export interface PeerStoreBenchOptions extends BenchOptions<PeerStore, PeerStoreContext> {
  /**
   * Peers in each swarm that the Announce and Scrape benchmarks fill before timing, half seeders
   * and half leechers (default 1000). The 1kInfohash variants fill 1000 such swarms.
   */
  swarmPeers?: number;
}

/** Peer lifetime (seconds) every benchmark store gets. */
export const BENCH_PEER_LIFETIME = 2700;
/** Largest numWant every benchmark store gets. */
export const BENCH_MAX_NUMWANT = 200;
/** numWant of the Announce benchmarks. */
const NUMWANT = 50;

/** Length of every cycle: "1k". */
const N = 1000;
/** Index of the announcing peer: never one of the peers a setup fills in. */
const ANNOUNCER = 0x7fffffff;

function request(key: string, peer: Buffer, left: number): AnnounceRequest {
  const r = new AnnounceRequest();
  r.infoHash = Buffer.from(key, 'latin1');
  r.infoHashKey = key;
  r.peer = peer;
  r.family = peer.length === 6 ? 4 : 6;
  r.port = peer.readUInt16BE(peer.length - 2);
  r.left = left;
  r.numWant = NUMWANT;
  return r;
}

// Inputs, made once when the module loads and shared by every benchmark (stores only read them).
const KEYS = infoHashKeys(N, 1);
const PEERS = listOf(N, peer4);
const ME = peer4(ANNOUNCER);
const LEECH = KEYS.map((k) => request(k, ME, 1));
const SEED = KEYS.map((k) => request(k, ME, 0));
const LEECH6 = request(KEYS[0]!, peer6(ANNOUNCER), 1);
const KEY = KEYS[0]!;
const PEER = PEERS[0]!;
const RES = new AnnounceResponse();
const SCRAPE = new ScrapeEntry();

/** Fills the first `swarms` swarms with `count` peers each, seeders and leechers alternating. */
async function fillSwarms(
  s: PeerStore,
  swarms: number,
  count: number,
  make: (i: number) => Buffer,
): Promise<void> {
  const peers = listOf(count, make);
  const batch = new SetupBatch();
  for (let h = 0; h < swarms; h++) {
    const key = KEYS[h]!;
    for (let j = 0; j < count; j++) {
      const r = j % 2 === 0 ? s.putSeeder(key, peers[j]!) : s.putLeecher(key, peers[j]!);
      const full = batch.add(r);
      if (full !== undefined) await full;
    }
  }
  await batch.flush();
}

// Operations of more than one call: each call starts only after the previous one is done.

function putDelete(s: PeerStore, key: string, peer: Buffer): unknown {
  const r = s.putSeeder(key, peer);
  if (isPromise(r)) return r.then(() => s.deleteSeeder(key, peer));
  return s.deleteSeeder(key, peer);
}

function gradDelete(s: PeerStore, key: string, peer: Buffer): unknown {
  const r = s.graduateLeecher(key, peer);
  if (isPromise(r)) return r.then(() => s.deleteSeeder(key, peer));
  return s.deleteSeeder(key, peer);
}

function putGradDelete(s: PeerStore, key: string, peer: Buffer): unknown {
  const r = s.putLeecher(key, peer);
  if (isPromise(r)) return r.then(() => gradDelete(s, key, peer));
  return gradDelete(s, key, peer);
}

type Op = BenchOp<PeerStore>;
/** Operations of one benchmark: one peer, 1k peers, 1k info hashes, 1k of both. */
type Flavours = readonly [one: Op, peers1k: Op, hashes1k: Op, both1k: Op];

/**
 * Names and describes the four flavours of one benchmark. The operations are written out per
 * flavour rather than made by one closure over an input picker, so each stays a separate function
 * that V8 can optimize with its own store call inlined.
 */
function flavours(
  base: string,
  what: string,
  [one, peers1k, hashes1k, both1k]: Flavours,
): BenchCase<PeerStore>[] {
  return [
    { name: base, doc: `${what}; one info hash, one peer`, op: one },
    { name: `${base}1k`, doc: `${what}; one info hash, 1000 peers in turn`, op: peers1k },
    { name: `${base}1kInfohash`, doc: `${what}; 1000 info hashes in turn, one peer`, op: hashes1k },
    {
      name: `${base}1kInfohash1k`,
      doc: `${what}; 1000 info hashes and 1000 peers in turn`,
      op: both1k,
    },
  ];
}

// In the 1kInfohash1k flavour, info hash j goes with peer 999 - j.

const putCases = flavours('Put', 'putSeeder into an empty store (then the same peers again)', [
  (s) => s.putSeeder(KEY, PEER),
  (s, i) => s.putSeeder(KEY, PEERS[i % N]!),
  (s, i) => s.putSeeder(KEYS[i % N]!, PEER),
  (s, i) => s.putSeeder(KEYS[i % N]!, PEERS[N - 1 - (i % N)]!),
]);

const putDeleteCases = flavours('PutDelete', 'putSeeder then deleteSeeder of that peer', [
  (s) => putDelete(s, KEY, PEER),
  (s, i) => putDelete(s, KEY, PEERS[i % N]!),
  (s, i) => putDelete(s, KEYS[i % N]!, PEER),
  (s, i) => putDelete(s, KEYS[i % N]!, PEERS[N - 1 - (i % N)]!),
]);

const deleteNonexistCases = flavours('DeleteNonexist', 'deleteSeeder in an empty store', [
  (s) => s.deleteSeeder(KEY, PEER),
  (s, i) => s.deleteSeeder(KEY, PEERS[i % N]!),
  (s, i) => s.deleteSeeder(KEYS[i % N]!, PEER),
  (s, i) => s.deleteSeeder(KEYS[i % N]!, PEERS[N - 1 - (i % N)]!),
]);

const gradNonexistCases = flavours(
  'GradNonexist',
  'graduateLeecher of a peer that is no leecher (makes it a seeder, then refreshes it)',
  [
    (s) => s.graduateLeecher(KEY, PEER),
    (s, i) => s.graduateLeecher(KEY, PEERS[i % N]!),
    (s, i) => s.graduateLeecher(KEYS[i % N]!, PEER),
    (s, i) => s.graduateLeecher(KEYS[i % N]!, PEERS[N - 1 - (i % N)]!),
  ],
);

const putGradDeleteCases = flavours(
  'PutGradDelete',
  'putLeecher, graduateLeecher, deleteSeeder of that peer',
  [
    (s) => putGradDelete(s, KEY, PEER),
    (s, i) => putGradDelete(s, KEY, PEERS[i % N]!),
    (s, i) => putGradDelete(s, KEYS[i % N]!, PEER),
    (s, i) => putGradDelete(s, KEYS[i % N]!, PEERS[N - 1 - (i % N)]!),
  ],
);

/** `swarmPeers` of the running suite (set by peerStoreBench before the cases run). */
let swarmPeers = N;

const fillOne = (s: PeerStore): Promise<void> => fillSwarms(s, 1, swarmPeers, peer4);
const fillAll = (s: PeerStore): Promise<void> => fillSwarms(s, N, swarmPeers, peer4);

const announceCases: BenchCase<PeerStore>[] = [
  {
    name: 'AnnounceLeecher',
    doc: 'announce as a leecher, numWant 50, into one swarm of 1000 peers (half seeders)',
    setup: fillOne,
    op: (s) => s.announce(LEECH[0]!, NUMWANT, RES),
  },
  {
    name: 'AnnounceLeecher1kInfohash',
    doc: 'announce as a leecher, numWant 50, into 1000 swarms of 1000 peers in turn',
    setup: fillAll,
    op: (s, i) => s.announce(LEECH[i % N]!, NUMWANT, RES),
  },
  {
    name: 'AnnounceSeeder',
    doc: 'announce as a seeder, numWant 50 (leechers only), into one swarm of 1000 peers',
    setup: fillOne,
    op: (s) => s.announce(SEED[0]!, NUMWANT, RES),
  },
  {
    name: 'AnnounceSeeder1kInfohash',
    doc: 'announce as a seeder, numWant 50, into 1000 swarms of 1000 peers in turn',
    setup: fillAll,
    op: (s, i) => s.announce(SEED[i % N]!, NUMWANT, RES),
  },
  {
    name: 'AnnounceLeecher/v6',
    doc: 'AnnounceLeecher with IPv6: one swarm of 1000 IPv6 peers, an IPv6 leecher announces',
    setup: (s) => fillSwarms(s, 1, swarmPeers, peer6),
    op: (s) => s.announce(LEECH6, NUMWANT, RES),
  },
  {
    name: 'ScrapeSwarm',
    doc: 'scrape one swarm of 1000 peers',
    setup: fillOne,
    op: (s) => s.scrape(KEY, SCRAPE),
  },
  {
    name: 'ScrapeSwarm1kInfohash',
    doc: 'scrape 1000 swarms of 1000 peers in turn',
    setup: fillAll,
    op: (s, i) => s.scrape(KEYS[i % N]!, SCRAPE),
  },
];

const CASES: readonly BenchCase<PeerStore>[] = [
  ...putCases,
  ...putDeleteCases,
  ...deleteNonexistCases,
  ...gradNonexistCases,
  ...putGradDeleteCases,
  ...announceCases,
];

/**
 * The PeerStore benchmarks, in the order they run. Each starts from an empty store; "1k" cycles
 * through 1000 peers, "1kInfohash" through 1000 info hashes. Peers are IPv4 unless named `/v6`.
 */
export const peerStoreBenchmarks: readonly BenchInfo[] = CASES.map(({ name, doc }) => ({
  name,
  doc,
}));

/**
 * Runs the PeerStore benchmarks against stores from `opts.create`, one fresh store each, with a
 * fixed clock (nothing expires), peer lifetime 2700 s and maxNumWant 200. Every input (info
 * hashes, compact peers, AnnounceRequests) is made before timing starts. A driver's call is
 * awaited only when it returns a promise.
 */
export async function peerStoreBench(opts: PeerStoreBenchOptions): Promise<BenchResult[]> {
  const count = opts.swarmPeers ?? N;
  if (!(Number.isInteger(count) && count >= 2)) {
    throw new RangeError(`swarmPeers must be an integer of 2 or more, not ${count}`);
  }
  return runBenchCases(
    CASES,
    opts,
    (_name, base) => ({
      ...base,
      peerLifetime: BENCH_PEER_LIFETIME,
      maxNumWant: BENCH_MAX_NUMWANT,
    }),
    () => {
      swarmPeers = count;
    },
  );
}
