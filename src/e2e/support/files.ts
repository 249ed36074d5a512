import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The repository root. This module runs as dist/e2e/support/files.js (or from
 * src/e2e/support/files.ts): three levels up either way.
 */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Non-TypeScript assets (tsc does not copy them to dist/) live in src/e2e/support/. */
export function supportAsset(name: string): string {
  return fileURLToPath(new URL(`../../../src/e2e/support/${name}`, import.meta.url));
}

export function sha1(data: Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}

/** Writes `size` random bytes to `path`; returns their SHA-1 and the bytes. */
export async function writeRandomFile(
  path: string,
  size: number,
): Promise<{ sha1: string; data: Buffer }> {
  const data = randomBytes(size);
  await writeFile(path, data);
  return { sha1: sha1(data), data };
}

/** The size of a file, or -1 if it is not there (yet). */
async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return -1;
  }
}

/**
 * Polls `path` until it holds exactly `expected` (same length, same SHA-1); returns the
 * elapsed milliseconds. Throws after `timeoutMs` with the best progress seen, or as soon as
 * `abort()` returns a reason (e.g. the downloader died).
 */
export async function waitForIdenticalFile(
  path: string,
  expected: Buffer,
  timeoutMs: number,
  abort: () => string | null = () => null,
): Promise<number> {
  const want = sha1(expected);
  const started = Date.now();
  let lastSize = -1;
  let lastSha1 = '';
  for (;;) {
    // Ask before looking at the file: a downloader that exits right after writing the last
    // piece (aria2 with --seed-time=0) must not be reported as a failure.
    const reason = abort();
    const size = await sizeOf(path);
    lastSize = size;
    // Clients preallocate: equal size is not enough, hash the bytes.
    if (size === expected.length) {
      const got = await readFile(path).catch(() => null);
      if (got !== null) {
        lastSha1 = sha1(got);
        if (lastSha1 === want) return Date.now() - started;
      }
    }
    if (reason !== null) throw new Error(`gave up waiting for ${path}: ${reason}`);
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `${path} not identical to the seeded file after ${timeoutMs} ms ` +
          `(size ${lastSize}/${expected.length}, sha1 ${lastSha1 || '-'} want ${want})`,
      );
    }
    await sleep(300);
  }
}

function tcpPortFree(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ host, port, exclusive: true }, () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(got));
    });
  });
}

function udpPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind(port, host, () => sock.close(() => resolve(true)));
  });
}

/**
 * A port that is free for both TCP and UDP on `host` right now (clients such as aria2 and
 * transmission need a number up front; BitTorrent clients use one port for TCP and uTP/DHT).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await tcpPortFree(host, 0);
    if (await udpPortFree(host, port)) return port;
  }
  throw new Error(`no port free for both TCP and UDP on ${host}`);
}
