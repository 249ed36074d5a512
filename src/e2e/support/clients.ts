import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Proc } from './proc.js';
import { freePort, supportAsset } from './files.js';

/**
 * Real BitTorrent clients from Debian, driven as child processes. Each is configured so that
 * the tracker is its ONLY source of peers: no DHT (aria2's DHT socket is on but has no entry
 * point, no routing table file and is bound to loopback), no PEX, no local peer discovery, no
 * UPnP/NAT-PMP. Every socket binds to a loopback address.
 */

export type ClientName = 'libtorrent' | 'aria2' | 'transmission';
export type TrackerProto = 'http' | 'udp';
export type Family = 4 | 6;

export interface StartOptions {
  role: 'seed' | 'leech';
  /** Path of the .torrent file. */
  torrent: string;
  /** Data directory: for a seed it already holds the complete file. */
  dir: string;
  /** Scratch directory for this client's config, logs and state. */
  work: string;
  /** Which kind of announce URL the torrent carries (aria2 needs to know). */
  proto: TrackerProto;
  family: Family;
}

export interface RunningClient {
  readonly name: ClientName;
  readonly proc: Proc;
  /** Ends the process (SIGTERM, then SIGKILL). Idempotent. */
  stop(): Promise<void>;
}

export interface ClientDriver {
  readonly name: ClientName;
  /** Why this client cannot run here (binary or module missing), or null if it can. */
  missing(): string | null;
  /**
   * Whether the client connects out to peers the tracker lists on loopback addresses.
   * transmission 3.00 does not: it drops tracker peers on 127.0.0.0/8 and ::1 as "martian"
   * and only takes incoming connections from them, so the other client must dial it.
   */
  readonly dialsLoopbackPeers: boolean;
  /** Why this client cannot run the given combination, or null if it can. */
  unsupported(proto: TrackerProto, family: Family): string | null;
  start(opts: StartOptions): Promise<RunningClient>;
}

const PYTHON = '/usr/bin/python3';

function probe(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 15_000 });
  if (r.error !== undefined) return `${cmd}: ${r.error.message}`;
  if (r.status !== 0)
    return `${cmd} ${args.join(' ')} exited ${String(r.status)}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`;
  return null;
}

function memo(f: () => string | null): () => string | null {
  let done = false;
  let value: string | null = null;
  return () => {
    if (!done) {
      value = f();
      done = true;
    }
    return value;
  };
}

function loopback(family: Family): string {
  return family === 6 ? '::1' : '127.0.0.1';
}

function running(name: ClientName, proc: Proc): RunningClient {
  return { name, proc, stop: () => proc.stop() };
}

/** python3-libtorrent (rasterbar libtorrent 2.0) through src/e2e/support/lt_client.py. */
export const libtorrent: ClientDriver = {
  name: 'libtorrent',
  dialsLoopbackPeers: true,
  missing: memo(() => probe(PYTHON, ['-c', 'import libtorrent'])),
  unsupported: () => null,
  start(opts: StartOptions): Promise<RunningClient> {
    const listen = opts.family === 6 ? '[::1]:0' : '127.0.0.1:0';
    const proc = new Proc(`libtorrent ${opts.role}er`, PYTHON, [
      supportAsset('lt_client.py'),
      'run',
      '--torrent',
      opts.torrent,
      '--dir',
      opts.dir,
      '--listen',
      listen,
      '--parent-pid',
      String(process.pid),
    ]);
    return Promise.resolve(running('libtorrent', proc));
  },
};

/**
 * aria2c 1.36. It only speaks to udp:// trackers when its DHT is enabled (the UDP tracker
 * client shares the DHT socket), so for udp:// the DHT is on with no entry point, a fresh
 * routing-table file and `--interface=127.0.0.1`: it cannot reach any DHT node. For http://
 * the DHT is off. Its IPv6 DHT socket would need a global address, so IPv6 is not used.
 */
export const aria2: ClientDriver = {
  name: 'aria2',
  dialsLoopbackPeers: true,
  missing: memo(() => probe('aria2c', ['--version'])),
  unsupported: (proto, family) =>
    family === 6
      ? 'not set up for IPv6: aria2 is bound to 127.0.0.1 (--interface) and its IPv6 DHT socket, which udp:// trackers need, wants a global address'
      : null,
  async start(opts: StartOptions): Promise<RunningClient> {
    const port = await freePort('127.0.0.1');
    const args = [
      '--no-conf=true',
      `--dir=${opts.dir}`,
      '--interface=127.0.0.1',
      `--listen-port=${port}`,
      '--enable-peer-exchange=false',
      '--bt-enable-lpd=false',
      '--enable-dht6=false',
      '--check-integrity=true',
      '--file-allocation=none',
      '--auto-file-renaming=false',
      '--allow-overwrite=true',
      '--summary-interval=0',
      '--console-log-level=warn',
      // The log (debug: that level shows HTTP tracker replies) goes to stdout, where Proc reads it.
      '--log=-',
      '--log-level=debug',
      `--stop-with-process=${process.pid}`,
      // A seed seeds until stopped; a leech exits once the download is complete and verified.
      ...(opts.role === 'seed'
        ? ['--seed-ratio=0.0', '--bt-hash-check-seed=true']
        : ['--seed-time=0']),
    ];
    if (opts.proto === 'udp') {
      const dhtPort = await freePort('127.0.0.1');
      args.push(
        '--enable-dht=true',
        `--dht-listen-port=${dhtPort}`,
        `--dht-file-path=${join(opts.work, 'dht.dat')}`,
      );
    } else {
      args.push('--enable-dht=false');
    }
    args.push(opts.torrent);
    const proc = new Proc(
      `aria2 ${opts.role}er`,
      'aria2c',
      args,
      { cwd: opts.work },
      (l) => l.includes('[DEBUG]') && !/tracker|announce|peer/i.test(l),
    );
    return running('aria2', proc);
  },
};

/**
 * transmission-cli 3.00 with its own config directory (settings.json turns DHT, PEX, LPD,
 * port mapping and RPC off and binds to loopback). It keeps running (seeding) until stopped.
 * It never dials loopback peers (see dialsLoopbackPeers), and as a seed it unchokes on a
 * 10 s cycle, so a download from it takes ~10 s however fast the tracker is.
 */
export const transmission: ClientDriver = {
  name: 'transmission',
  dialsLoopbackPeers: false,
  missing: memo(() => probe('transmission-cli', ['--version'])),
  unsupported: (_proto, family) =>
    family === 6
      ? 'transmission 3.00 bound to 127.0.0.1 could not reach an http://[::1] tracker ("Could not connect to tracker"), and never dials ::1 peers'
      : null,
  async start(opts: StartOptions): Promise<RunningClient> {
    const port = await freePort(loopback(opts.family));
    const configDir = join(opts.work, 'transmission');
    await mkdir(configDir, { recursive: true });
    const settings = {
      'dht-enabled': false,
      'pex-enabled': false,
      'lpd-enabled': false,
      'utp-enabled': true,
      'port-forwarding-enabled': false,
      'rpc-enabled': false,
      'rpc-bind-address': '127.0.0.1',
      'bind-address-ipv4': '127.0.0.1',
      'bind-address-ipv6': '::1',
      'peer-port': port,
      'peer-port-random-on-start': false,
      'blocklist-enabled': false,
      'speed-limit-up-enabled': false,
      'speed-limit-down-enabled': false,
      'rename-partial-files': false,
      'start-added-torrents': true,
      'download-dir': opts.dir,
      'incomplete-dir-enabled': false,
      'watch-dir-enabled': false,
      // 3 = debug: shows tracker replies ("Got N peers from tracker").
      'message-level': 3,
    };
    await writeFile(join(configDir, 'settings.json'), JSON.stringify(settings, null, 2));
    const proc = new Proc(
      `transmission ${opts.role}er`,
      'transmission-cli',
      [
        '--config-dir',
        configDir,
        '--download-dir',
        opts.dir,
        '--port',
        String(port),
        '--no-portmap',
        '--no-blocklist',
        opts.torrent,
      ],
      { cwd: opts.work },
      (l) => /^\s*(Progress:|Seeding,)/.test(l) || l.includes('[LAZY]'),
    );
    return running('transmission', proc);
  },
};

export const DRIVERS: Record<ClientName, ClientDriver> = { libtorrent, aria2, transmission };
