import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { BaseKvStoreOptions } from '../base-kv-store.js';
import { BaseKvStore } from '../base-kv-store.js';
import { KvError } from '../kv-error.js';
import type { KvKey, KvOpOptions } from '../kv-store.js';

/** Options of FsKvStore. */
export interface FsKvStoreOptions extends BaseKvStoreOptions {
  /** Directory of the store (created by open()). */
  dir: string;
  /**
   * fsync each file and its directory before a put resolves (default true): a put that
   * resolved survives a power cut. Without it a put is still atomic (never half a value) but
   * the last writes may be lost to a crash of the machine.
   */
  fsync?: boolean;
}

/** Longest base64url name a key keeps; longer keys are named by their SHA-256. */
const MAX_PLAIN_NAME = 200;

/**
 * A store of one file per key under `dir/<fan-out>/<name>`:
 * - name: `k` + base64url of the key bytes (any bytes are safe in it, and it decodes back for
 *   listing), or `h` + hex SHA-256 of the key when that would pass 200 characters (file names
 *   stop at 255 bytes);
 * - fan-out: the first byte of the key's SHA-256 in hex, so no directory holds more than
 *   1/256 of the keys;
 * - content: a 2-byte big-endian key length, the key, then the value. get() checks the key, so
 *   a hashed name can never return another key's value.
 * Writes are atomic: a temporary file in the same directory, fsync'd (option `fsync`), then
 * renamed over the old one; a reader sees the old value or the new, never a mix.
 */
export class FsKvStore extends BaseKvStore {
  readonly kind = 'fs';
  readonly dir: string;
  private readonly fsync: boolean;
  private readonly made = new Set<string>();
  private tmpCounter = 0;

  constructor(options: FsKvStoreOptions) {
    super(options);
    if (typeof options.dir !== 'string' || options.dir === '') {
      throw new KvError('SHOAL_E_KV_OPTIONS', 'fs store: dir: expected a directory path');
    }
    this.dir = options.dir;
    this.fsync = options.fsync ?? true;
  }

  protected async doOpen(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // Temporary files left by a crash mid-write are garbage: nothing points at them.
    for (const sub of await readdir(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(sub)) continue;
      for (const name of await readdir(join(this.dir, sub))) {
        if (name.startsWith('.tmp-')) await rm(join(this.dir, sub, name), { force: true });
      }
    }
  }

  protected doClose(): Promise<void> {
    this.made.clear();
    return Promise.resolve();
  }

  /** The fan-out directory and the file of a key. */
  private pathOf(key: Buffer): [string, string] {
    const hash = createHash('sha256').update(key).digest();
    const sub = join(this.dir, hash.toString('hex', 0, 1));
    const b64 = key.toString('base64url');
    const name = b64.length <= MAX_PLAIN_NAME ? `k${b64}` : `h${hash.toString('hex')}`;
    return [sub, join(sub, name)];
  }

  protected async doPut(key: Buffer, value: Buffer): Promise<void> {
    const [sub, file] = this.pathOf(key);
    if (!this.made.has(sub)) {
      await mkdir(sub, { recursive: true });
      this.made.add(sub);
    }
    const header = Buffer.allocUnsafe(2);
    header.writeUInt16BE(key.length, 0);
    const tmp = join(sub, `.tmp-${process.pid}-${++this.tmpCounter}`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writev([header, key, value]);
      if (this.fsync) await fh.sync();
    } catch (err) {
      await fh.close();
      await unlink(tmp).catch(() => {});
      throw err;
    }
    await fh.close();
    await rename(tmp, file);
    if (this.fsync) {
      // The rename itself is durable only once the directory is.
      const dh = await open(sub, 'r');
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    }
  }

  protected async doGet(key: Buffer): Promise<Uint8Array | undefined> {
    const [, file] = this.pathOf(key);
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const stored = storedKey(data);
    if (stored === undefined || !stored.equals(key)) return undefined;
    return data.subarray(2 + key.length);
  }

  protected async doDel(key: Buffer): Promise<void> {
    const [, file] = this.pathOf(key);
    await rm(file, { force: true });
  }

  keys(prefix: KvKey, opts: KvOpOptions = {}): Promise<Uint8Array[]> {
    return this.listKeys(prefix, opts, async (p) => {
      const out: Uint8Array[] = [];
      for (const sub of await readdir(this.dir)) {
        if (!/^[0-9a-f]{2}$/.test(sub)) continue;
        for (const name of await readdir(join(this.dir, sub))) {
          let key: Buffer | undefined;
          if (name.startsWith('k')) key = Buffer.from(name.slice(1), 'base64url');
          else if (name.startsWith('h')) {
            key = storedKey(await readFile(join(this.dir, sub, name)).catch(() => Buffer.alloc(0)));
          }
          if (key !== undefined && key.length >= p.length && key.subarray(0, p.length).equals(p)) {
            out.push(key);
          }
        }
      }
      return out;
    });
  }
}

/** The key a file's header names, or undefined for a file too short to be one. */
function storedKey(data: Buffer): Buffer | undefined {
  if (data.length < 2) return undefined;
  const n = data.readUInt16BE(0);
  if (data.length < 2 + n) return undefined;
  return data.subarray(2, 2 + n);
}
