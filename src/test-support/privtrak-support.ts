import { readFileSync, writeFileSync } from 'node:fs';
import type { AnnounceDelta, TorrentRecord } from '../backend/backend.js';
import { AnnounceRequest } from '../bittorrent/announce.js';
import type { AnnounceEvent } from '../bittorrent/event.js';
import { EVENT_NONE } from '../bittorrent/event.js';
import type { DeltaHandler } from '../middleware/privtrak/delta-handler.js';
import type { TorrentLookup } from '../middleware/privtrak/torrent-lookup.js';

/**
 * What privtrak's tests share: a torrent directory (a Map, as the backend's Directory indexes
 * both hashes of a hybrid), an in-test ledger standing in for the database's side of
 * `recordAnnounce` (atomic, idempotent by batch id, optionally kept in a JSON file so a killed
 * process and its successor share it), and an announce builder.
 */

export class TestTorrents implements TorrentLookup {
  readonly byHash = new Map<string, TorrentRecord>();
  private nextId = 1;

  add(infoHash: Buffer, factors: Partial<TorrentRecord> = {}): TorrentRecord {
    const t: TorrentRecord = {
      id: this.nextId++,
      infoHash,
      infoHashV2: null,
      downloadFactor: 1,
      uploadFactor: 1,
      seeders: 0,
      leechers: 0,
      snatches: 0,
      ...factors,
    };
    this.byHash.set(infoHash.toString('latin1'), t);
    if (t.infoHashV2 !== null) this.byHash.set(t.infoHashV2.toString('latin1'), t);
    return t;
  }

  torrentByInfoHash(infoHashKey: string): TorrentRecord | undefined {
    return this.byHash.get(infoHashKey);
  }
}

/** Totals of one user in the ledger. */
export interface LedgerUser {
  uploaded: number;
  downloaded: number;
  seedTime: number;
  snatches: string[];
}

interface LedgerState {
  applied: string[];
  users: Record<string, LedgerUser>;
  peers: Record<string, { reportedUploaded: number; active: boolean }>;
}

/** What the ledger does on its next call (then it goes back to 'ok'). */
export type LedgerFault =
  | 'ok'
  | 'reject' // fails before applying anything (a rolled-back transaction)
  | 'apply-then-reject' // commits, then the acknowledgement is lost
  | 'kill-before-apply' // the process dies before the database is touched
  | 'kill-after-apply'; // the process dies after commit, before privtrak hears of it

/**
 * A DeltaHandler doing what the PostgreSQL recordAnnounce must do: in one atomic step, skip a
 * batch id already applied, else add the credited bytes to the user, record the snatch, write
 * the peer, and remember the id.
 */
export class TestLedger implements DeltaHandler {
  state: LedgerState = { applied: [], users: {}, peers: {} };
  readonly file: string | null;
  faults: LedgerFault[] = [];
  calls = 0;
  batches: AnnounceDelta[][] = [];

  constructor(file: string | null = null) {
    this.file = file;
    if (file !== null) {
      try {
        this.state = JSON.parse(readFileSync(file, 'utf8')) as LedgerState;
      } catch {
        /* a fresh ledger */
      }
    }
  }

  recordAnnounce(batch: readonly AnnounceDelta[], batchId: string): Promise<void> {
    this.calls++;
    const fault = this.faults.shift() ?? 'ok';
    if (fault === 'reject') return Promise.reject(new Error('database unavailable'));
    if (fault === 'kill-before-apply') process.kill(process.pid, 'SIGKILL');
    if (!this.state.applied.includes(batchId)) {
      const next = structuredClone(this.state);
      for (const d of batch) {
        const u = (next.users[d.userKey.toString('hex')] ??= {
          uploaded: 0,
          downloaded: 0,
          seedTime: 0,
          snatches: [],
        });
        u.uploaded += d.uploaded;
        u.downloaded += d.downloaded;
        u.seedTime += d.seedTime;
        const ih = d.infoHash.toString('hex');
        if (d.snatched && !u.snatches.includes(ih)) u.snatches.push(ih);
        next.peers[d.userKey.toString('hex') + ih + d.peerId.toString('hex')] = {
          reportedUploaded: d.reportedUploaded,
          active: d.active,
        };
      }
      next.applied.push(batchId);
      this.state = next;
      this.batches.push(batch.map((d) => ({ ...d })));
      if (this.file !== null) writeFileSync(this.file, JSON.stringify(this.state));
    }
    if (fault === 'kill-after-apply') process.kill(process.pid, 'SIGKILL');
    if (fault === 'apply-then-reject') return Promise.reject(new Error('connection lost'));
    return Promise.resolve();
  }

  user(key: Buffer): LedgerUser {
    return (
      this.state.users[key.toString('hex')] ?? {
        uploaded: 0,
        downloaded: 0,
        seedTime: 0,
        snatches: [],
      }
    );
  }
}

/** An announce of `passkey` on `infoHash` by `peerId` with these cumulative counters. */
export function announce(
  passkey: string,
  infoHash: Buffer,
  peerId: string,
  uploaded: number,
  downloaded: number,
  left: number,
  event: AnnounceEvent = EVENT_NONE,
): AnnounceRequest {
  const r = new AnnounceRequest();
  r.passkey = passkey;
  r.infoHash = infoHash;
  r.infoHashKey = infoHash.toString('latin1');
  r.peerId = Buffer.from(peerId.padEnd(20, '0').slice(0, 20), 'latin1');
  r.uploaded = uploaded;
  r.downloaded = downloaded;
  r.left = left;
  r.event = event;
  return r;
}

/** A 20-byte hash filled with one byte. */
export function hash(byte: number): Buffer {
  return Buffer.alloc(20, byte);
}

/** The crash tests' users and torrents: 2 users × 2 torrents, one peer each. */
export const CRASH_USERS = ['alice-passkey', 'bob-passkey'];
export const CRASH_TORRENTS = [hash(1), hash(2)];

/** Step `j` of the crash workload: every key announces uploaded 1000·j, downloaded 500·j. */
export function crashStep(j: number): AnnounceRequest[] {
  const out: AnnounceRequest[] = [];
  for (const u of CRASH_USERS) {
    for (const t of CRASH_TORRENTS)
      out.push(announce(u, t, `-XX0001-${u}`, 1000 * j, 500 * j, 100));
  }
  return out;
}
