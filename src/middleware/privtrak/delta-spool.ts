import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { AnnounceDelta } from '../../backend/backend.js';
import { ShoalError } from '../../bittorrent/errors.js';
import {
  decodeDelta,
  deltaKey,
  encodeDelta,
  encodeDeltaJson,
  mergeDelta,
} from './announce-delta-codec.js';

/** A batch handed to the handler whose acceptance is not recorded yet: resent under its id. */
export interface SpooledBatch {
  readonly id: string;
  readonly deltas: AnnounceDelta[];
}

/** What a spool held: the state to resume from. */
export interface SpoolReplay {
  /** Batches formed but not known to be committed, oldest first: resend as they are. */
  inDoubt: SpooledBatch[];
  /** Deltas not yet in any batch, aggregated per key, in the order they were first seen. */
  pending: Map<string, AnnounceDelta>;
  /**
   * The newest state of every peer the file mentions (committed or not): the baselines of the
   * restored counters, so a peer's next announce credits only what is new.
   */
  latest: Map<string, AnnounceDelta>;
  /** Highest sequence number seen (0 for an empty spool). */
  lastSeq: number;
  /** Lines that could not be read (a torn last line after a power cut, or damage). */
  skipped: number;
}

/**
 * The crash-safety journal of privtrak: an append-only file of JSON lines, written with
 * synchronous `writeSync` calls so a record is in the file (the OS page cache; on disk too with
 * `sync`) before the announce that produced it is answered. Three records:
 *
 * - `{"q":seq,"d":{delta}}` — one announce's delta; `seq` grows by one per record.
 * - `{"b":id,"q":seq,"d":[deltas]}` — a batch was formed from every pending delta of those keys
 *   (all records of those keys up to this line), and is about to be sent under `id`.
 * - `{"c":id}` — the handler accepted batch `id`.
 * - `{"k":{delta}}` — a peer's last known state, credited already (written by a rewrite at start):
 *   only the baseline of its restored counter.
 *
 * Replay walks the lines in order: deltas aggregate per key; a batch record moves its keys out
 * of the pending set; a commit record forgets its batch. What is left is the exact state before
 * the crash: batches in doubt (resent under the same id, so an idempotent handler applies each
 * once) and pending deltas. The file is rewritten (compacted) atomically — temporary file,
 * fsync, rename — at start and when it grows past a limit, and truncated when nothing is
 * pending. One process per spool: a `.lock` file holding the pid guards it.
 */
export class DeltaSpool {
  readonly path: string;
  private fd: number;
  private seq: number;
  private readonly sync: boolean;
  private readonly lockPath: string;
  /** Bytes in the file. */
  bytes = 0;

  private constructor(path: string, lastSeq: number, sync: boolean) {
    this.path = path;
    this.seq = lastSeq;
    this.sync = sync;
    this.lockPath = `${path}.lock`;
    this.fd = -1;
  }

  /**
   * Locks the spool at `path`, reads what it holds and rewrites it compacted. The caller
   * resumes from the returned state; appends continue the sequence.
   */
  static open(path: string, sync = false): { spool: DeltaSpool; replay: SpoolReplay } {
    lock(`${path}.lock`);
    try {
      const replay = readSpool(path);
      const spool = new DeltaSpool(path, replay.lastSeq, sync);
      spool.rewrite(replay.inDoubt, replay.pending.values(), baselinesOf(replay));
      return { spool, replay };
    } catch (err) {
      unlock(`${path}.lock`);
      throw err;
    }
  }

  /** Appends one announce's delta; returns its sequence number. */
  appendDelta(d: AnnounceDelta): number {
    const seq = this.seq + 1;
    this.write(`{"q":${seq},"d":${encodeDeltaJson(d)}}\n`);
    this.seq = seq;
    return seq;
  }

  /** Records that batch `id` (these deltas, every pending delta of their keys) is being sent. */
  appendBatch(batch: SpooledBatch): void {
    this.write(batchLine(batch, this.seq));
  }

  /** Records that the handler accepted batch `id`. */
  appendCommit(id: string): void {
    this.write(`{"c":${JSON.stringify(id)}}\n`);
  }

  /** Empties the file: call only when nothing is pending or in doubt. */
  truncate(): void {
    try {
      ftruncateSync(this.fd, 0);
      if (this.sync) fdatasyncSync(this.fd);
    } catch (err) {
      throw new ShoalError('SHOAL_E_SPOOL', `cannot truncate spool ${this.path}`, { cause: err });
    }
    this.bytes = 0;
  }

  /**
   * Replaces the file by one holding just this state (batches in doubt, then pending deltas
   * with new sequence numbers), atomically: a crash leaves either the old or the new file.
   */
  rewrite(
    inDoubt: readonly SpooledBatch[],
    pending: Iterable<AnnounceDelta>,
    baselines: Iterable<AnnounceDelta> = [],
  ): void {
    const tmp = `${this.path}.tmp`;
    let out = '';
    let seq = this.seq;
    for (const d of baselines) out += `{"k":${encodeDeltaJson(d)}}\n`;
    for (const b of inDoubt) out += batchLine(b, seq);
    for (const d of pending) {
      seq++;
      out += `{"q":${seq},"d":${JSON.stringify(encodeDelta(d))}}\n`;
    }
    try {
      const fd = openSync(tmp, 'w');
      try {
        writeAll(fd, Buffer.from(out));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
      syncDir(this.path);
      const fd2 = openSync(this.path, 'a');
      if (this.fd >= 0) closeSync(this.fd);
      this.fd = fd2;
    } catch (err) {
      throw new ShoalError('SHOAL_E_SPOOL', `cannot rewrite spool ${this.path}`, { cause: err });
    }
    this.seq = seq;
    this.bytes = Buffer.byteLength(out);
  }

  /** Closes the file and releases the lock; the content stays for the next start. */
  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
    unlock(this.lockPath);
  }

  private write(line: string): void {
    const buf = Buffer.from(line);
    try {
      writeAll(this.fd, buf);
      if (this.sync) fdatasyncSync(this.fd);
    } catch (err) {
      throw new ShoalError('SHOAL_E_SPOOL', `cannot append to spool ${this.path}`, { cause: err });
    }
    this.bytes += buf.length;
  }
}

/**
 * The replayed peer states that neither a pending delta nor a batch in doubt carries: kept as
 * baseline records when the spool is rewritten at start, so a second crash before those peers
 * announce again still restores their counters.
 */
function baselinesOf(r: SpoolReplay): AnnounceDelta[] {
  const carried = new Set(r.pending.keys());
  for (const b of r.inDoubt) for (const d of b.deltas) carried.add(deltaKey(d));
  const out: AnnounceDelta[] = [];
  for (const [key, d] of r.latest) if (d.active && !carried.has(key)) out.push(d);
  return out;
}

function batchLine(b: SpooledBatch, seq: number): string {
  return `{"b":${JSON.stringify(b.id)},"q":${seq},"d":${JSON.stringify(b.deltas.map(encodeDelta))}}\n`;
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

function syncDir(path: string): void {
  // The rename is durable only once the directory is; some platforms cannot fsync a directory.
  try {
    const fd = openSync(dirname(path), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* best effort */
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lock(path: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ShoalError('SHOAL_E_SPOOL', `cannot lock spool ${path}`, { cause: err });
      }
    }
    let pid = NaN;
    try {
      pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    } catch {
      /* vanished meanwhile: retry */
    }
    if (Number.isSafeInteger(pid) && pid > 0 && alive(pid)) {
      throw new ShoalError(
        'SHOAL_E_SPOOL_LOCKED',
        `spool ${path.slice(0, -5)} is in use by process ${pid}; give each tracker process its own spool`,
      );
    }
    // The owner died (kill -9, crash): its lock is stale.
    try {
      unlinkSync(path);
    } catch {
      /* someone else removed it */
    }
  }
  throw new ShoalError('SHOAL_E_SPOOL_LOCKED', `cannot lock spool ${path}`);
}

function unlock(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/** Reads a spool file (missing = empty) into the state it describes. */
export function readSpool(path: string): SpoolReplay {
  const state: SpoolReplay = {
    inDoubt: [],
    pending: new Map(),
    latest: new Map(),
    lastSeq: 0,
    skipped: 0,
  };
  const batches = new Map<string, SpooledBatch>();
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return state;
    throw new ShoalError('SHOAL_E_SPOOL', `cannot read spool ${path}`, { cause: err });
  }
  const chunk = Buffer.allocUnsafe(1 << 20);
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      const text = rest + decoder.write(chunk.subarray(0, n));
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        applyLine(text.slice(start, nl), state, batches);
        start = nl + 1;
      }
      rest = text.slice(start);
    }
  } finally {
    closeSync(fd);
  }
  // A last line without its newline was cut short mid-write: it was never acknowledged.
  if (rest.length > 0) state.skipped++;
  state.inDoubt = [...batches.values()];
  return state;
}

function applyLine(line: string, s: SpoolReplay, batches: Map<string, SpooledBatch>): void {
  if (line.length === 0) return;
  try {
    const r = JSON.parse(line) as Record<string, unknown>;
    if (r['k'] !== undefined) {
      const d = decodeDelta(r['k']);
      s.latest.set(deltaKey(d), d);
    } else if (typeof r['c'] === 'string') {
      batches.delete(r['c']);
    } else if (typeof r['b'] === 'string') {
      const raw = r['d'];
      if (!Array.isArray(raw)) throw new Error('batch without deltas');
      const deltas = raw.map(decodeDelta);
      for (const d of deltas) {
        const key = deltaKey(d);
        s.pending.delete(key);
        // A snapshot lists batches first: only a peer seen nowhere else takes its state from one.
        if (!s.latest.has(key)) s.latest.set(key, d);
      }
      batches.set(r['b'], { id: r['b'], deltas });
    } else {
      const q = r['q'];
      if (typeof q !== 'number' || !Number.isSafeInteger(q)) throw new Error('no sequence');
      // A record at or below the last sequence seen is a duplicate: never count it twice.
      if (q <= s.lastSeq) return;
      const d = decodeDelta(r['d']);
      s.lastSeq = q;
      const key = deltaKey(d);
      s.latest.set(key, d);
      const prev = s.pending.get(key);
      if (prev === undefined) s.pending.set(key, d);
      else mergeDelta(prev, d);
    }
  } catch {
    s.skipped++;
  }
}
