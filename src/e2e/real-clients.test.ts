/**
 * End-to-end: real BitTorrent clients from Debian (python3-libtorrent, aria2, transmission-cli)
 * move a random file from a seeder to a downloader that can find the seeder ONLY through
 * Shoal: the torrent is private (BEP 27) and names one announce URL, and every client runs
 * with DHT, PEX, local peer discovery and port mapping off, bound to loopback.
 *
 * Each test: its own tracker (interval 5 s) and temp dir, a random 2 MiB file, a .torrent made
 * here, one client started and seen in the swarm through the tracker's HTTP scrape, then the
 * other; passes when the downloaded file is byte-identical to the seeded one. The client that
 * starts second finds the first in its announce reply and dials it (transmission never dials
 * loopback peers, so a transmission downloader starts first and is dialled by the seeder).
 *
 * Missing clients: with CI=true the test fails; otherwise it is skipped. Install them with
 *   bash scripts/install-test-clients.sh
 *
 * Run just this file: npm run build && node --test dist/e2e/real-clients.test.js
 * SHOAL_E2E_KEEP=1 keeps each test's temporary directory.
 */
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { createTracker } from '../index.js';
import type { Tracker } from '../index.js';
import { DRIVERS } from './support/clients.js';
import type { ClientName, Family, RunningClient, TrackerProto } from './support/clients.js';
import { sha1, waitForIdenticalFile, writeRandomFile } from './support/files.js';
import { makeTorrent } from './support/torrent.js';
import { waitForSwarm } from './support/scrape.js';

const INSTALL_HINT = 'bash scripts/install-test-clients.sh';
const IN_CI = process.env['CI'] === 'true';

/** Seconds: short, so clients that start later or miss a reply re-announce soon. */
const ANNOUNCE_INTERVAL = 5;
const FILE_SIZE = 2 * 1024 * 1024 + 12_345; // not a multiple of the piece size: short last piece
const PIECE_LENGTH = 64 * 1024;
const FIRST_ANNOUNCE_TIMEOUT_MS = 30_000;
const DOWNLOAD_TIMEOUT_MS = 60_000;

interface Case {
  seeder: ClientName;
  leecher: ClientName;
  proto: TrackerProto;
  family: Family;
}

const CASES: Case[] = [
  { seeder: 'libtorrent', leecher: 'aria2', proto: 'http', family: 4 },
  { seeder: 'libtorrent', leecher: 'aria2', proto: 'udp', family: 4 },
  { seeder: 'aria2', leecher: 'libtorrent', proto: 'http', family: 4 },
  { seeder: 'aria2', leecher: 'libtorrent', proto: 'udp', family: 4 },
  { seeder: 'transmission', leecher: 'aria2', proto: 'http', family: 4 },
  { seeder: 'transmission', leecher: 'aria2', proto: 'udp', family: 4 },
  { seeder: 'libtorrent', leecher: 'transmission', proto: 'http', family: 4 },
  { seeder: 'libtorrent', leecher: 'transmission', proto: 'udp', family: 4 },
  // aria2 and transmission cannot use a [::1] tracker here (see support/clients.ts).
  { seeder: 'libtorrent', leecher: 'libtorrent', proto: 'http', family: 6 },
  { seeder: 'libtorrent', leecher: 'libtorrent', proto: 'udp', family: 6 },
];

/** Whether ::1 can be bound here (containers without IPv6 lack it). */
async function ipv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp6');
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind(0, '::1', () => sock.close(() => resolve(true)));
  });
}
const HAVE_IPV6 = await ipv6Loopback();

function announceUrl(tracker: Tracker, proto: TrackerProto, family: Family): string {
  const list = proto === 'http' ? tracker.httpAddresses : tracker.udpAddresses;
  const bound = list.find((a) => a.family === family);
  assert.ok(bound, `tracker has no IPv${family} ${proto} listener`);
  const host = family === 6 ? `[${bound.address}]` : bound.address;
  return `${proto}://${host}:${bound.port}/announce`;
}

function httpBase(tracker: Tracker, family: Family): string {
  const bound = tracker.httpAddresses.find((a) => a.family === family);
  assert.ok(bound, `tracker has no IPv${family} http listener`);
  return family === 6
    ? `http://[${bound.address}]:${bound.port}`
    : `http://${bound.address}:${bound.port}`;
}

function report(clients: readonly RunningClient[]): string {
  return clients
    .map((c) => `\n----- ${c.proc.name} (${c.proc.describeExit()}) -----\n${c.proc.tail(4000)}`)
    .join('');
}

async function runCase(t: TestContext, c: Case): Promise<void> {
  const seederDriver = DRIVERS[c.seeder];
  const leecherDriver = DRIVERS[c.leecher];
  const missing = [seederDriver, leecherDriver]
    .map((d) => {
      const why = d.missing();
      return why === null ? null : `${d.name} is not installed (${why})`;
    })
    .filter((m): m is string => m !== null);
  if (missing.length > 0) {
    const msg = `${[...new Set(missing)].join('; ')}; run: ${INSTALL_HINT}`;
    if (IN_CI) assert.fail(msg);
    t.skip(msg);
    return;
  }
  if (c.family === 6 && !HAVE_IPV6) {
    t.skip('no IPv6 loopback (::1) on this machine');
    return;
  }
  for (const d of [seederDriver, leecherDriver]) {
    const why = d.unsupported(c.proto, c.family);
    assert.equal(why, null, `bad test case: ${d.name}: ${why ?? ''}`);
  }
  assert.ok(
    seederDriver.dialsLoopbackPeers || leecherDriver.dialsLoopbackPeers,
    'bad test case: one of the two clients must dial the other',
  );

  const work = await mkdtemp(join(tmpdir(), 'shoal-e2e-'));
  const clients: RunningClient[] = [];
  let tracker: Tracker | undefined;
  try {
    const listen = [c.family === 6 ? '[::1]:0' : '127.0.0.1:0'];
    tracker = await createTracker({
      listen: { http: listen, udp: listen },
      announce: { interval: ANNOUNCE_INTERVAL, minInterval: 1 },
      log: { level: 'warn' },
    });
    const url = announceUrl(tracker, c.proto, c.family);

    const seedDir = join(work, 'seed-data');
    const leechDir = join(work, 'leech-data');
    for (const d of [seedDir, leechDir, join(work, 'seed-work'), join(work, 'leech-work')]) {
      await mkdir(d, { recursive: true });
    }
    const name = `shoal-e2e-${c.seeder}-${c.leecher}-${c.proto}${c.family}.bin`;
    const { data } = await writeRandomFile(join(seedDir, name), FILE_SIZE);
    const torrent = makeTorrent(name, data, url, { pieceLength: PIECE_LENGTH, private: true });
    const torrentPath = join(work, 'test.torrent');
    await writeFile(torrentPath, torrent.torrent);
    t.diagnostic(`announce ${url}, info hash ${torrent.infoHash}`);

    const scrapeBase = httpBase(tracker, c.family);
    const exited = (cl: RunningClient) => (): string | null =>
      cl.proc.hasExited ? `${cl.proc.name} ${cl.proc.describeExit()}` : null;
    const startClient = async (role: 'seed' | 'leech'): Promise<RunningClient> => {
      const driver = role === 'seed' ? seederDriver : leecherDriver;
      const client = await driver.start({
        role,
        torrent: torrentPath,
        dir: role === 'seed' ? seedDir : leechDir,
        work: join(work, `${role}-work`),
        proto: c.proto,
        family: c.family,
      });
      clients.push(client);
      return client;
    };

    // The first client must be in the swarm (per the tracker's own scrape) before the second
    // starts, so the second one's first announce returns it and the second one dials it.
    // Normally the seeder goes first; a downloader that never dials loopback peers
    // (transmission) goes first instead and is dialled by the seeder.
    const leecherFirst = !leecherDriver.dialsLoopbackPeers;
    const started = Date.now();
    let seeder: RunningClient;
    let leecher: RunningClient;
    if (leecherFirst) {
      leecher = await startClient('leech');
      await waitForSwarm(
        scrapeBase,
        torrent.infoHash,
        (s) => s.incomplete >= 1,
        FIRST_ANNOUNCE_TIMEOUT_MS,
        'downloader in the swarm',
        exited(leecher),
      );
      seeder = await startClient('seed');
    } else {
      seeder = await startClient('seed');
      await waitForSwarm(
        scrapeBase,
        torrent.infoHash,
        (s) => s.complete >= 1,
        FIRST_ANNOUNCE_TIMEOUT_MS,
        'seed in the swarm',
        exited(seeder),
      );
      leecher = await startClient('leech');
    }
    const firstInSwarm = Date.now() - started;

    const downloadMs = await waitForIdenticalFile(
      join(leechDir, name),
      data,
      DOWNLOAD_TIMEOUT_MS,
      () => exited(leecher)() ?? exited(seeder)(),
    );

    // The bytes themselves, read back once more: same length, same content.
    const got = await readFile(join(leechDir, name));
    assert.equal(got.length, data.length, 'downloaded file length');
    assert.equal(sha1(got), sha1(data), 'downloaded file SHA-1');
    assert.ok(got.equals(data), 'downloaded file bytes');
    t.diagnostic(
      `${leecherFirst ? 'downloader' : 'seeder'} in the swarm after ${firstInSwarm} ms; ` +
        `download complete ${downloadMs} ms later`,
    );
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`${msg}${report(clients)}`, { cause: err });
  } finally {
    await Promise.all(clients.map((cl) => cl.stop()));
    await tracker?.close();
    if (process.env['SHOAL_E2E_KEEP'] === '1') t.diagnostic(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

describe('real BitTorrent clients find each other only through Shoal', () => {
  for (const c of CASES) {
    const title = `${c.seeder} seeds, ${c.leecher} downloads over ${c.proto}:// (IPv${c.family})`;
    it(title, { timeout: 120_000 }, (t) => runCase(t, c));
  }
});
