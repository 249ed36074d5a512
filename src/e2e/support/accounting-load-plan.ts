/**
 * The script of the private-accounting load test: torrents with their factors, and simulated
 * peers, each a list of steps (announces with cumulative counters, or pauses) made from a seeded
 * random generator, so a failing run can be replayed with its seed.
 */
import { mulberry32 } from '../../test-support/mulberry32.js';

/** A torrent of the load test; `hybrid` ones have a v2 hash announced too. */
export interface LoadTorrent {
  name: string;
  upload: number;
  download: number;
  hybrid: boolean;
  /**
   * Credits are floored per announce, so with a fractional factor an announce counted by the
   * tracker but not acknowledged (a kill between its spool write and its reply) changes the
   * total by a byte. The test keeps such torrents out of the round where it kills the tracker.
   */
  fractional: boolean;
  size: number;
}

const T = (name: string, upload: number, download: number, hybrid = false): LoadTorrent => ({
  name,
  upload,
  download,
  hybrid,
  fractional: !Number.isInteger(upload) || !Number.isInteger(download),
  size: 0,
});

/** Ten torrents: the special ones of docs/accounting.md, a fractional one, five normal. */
export const LOAD_TORRENTS: readonly LoadTorrent[] = [
  T('freeleech', 1, 0),
  T('double upload', 2, 1),
  T('neutral', 0, 0),
  T('hybrid', 1, 1, true),
  T('fractional', 1.5, 0.5),
  T('normal 5', 1, 1),
  T('normal 6', 1, 1),
  T('normal 7', 1, 1),
  T('normal 8', 1, 1),
  T('normal 9', 1, 1),
].map((t, i) => ({ ...t, size: 40_000_000 + i * 1_000_003 }));

export type LoadEvent = 'started' | 'completed' | 'stopped' | '';

export interface AnnounceStep {
  kind: 'announce';
  event: LoadEvent;
  uploaded: number;
  downloaded: number;
  left: number;
  /** Which hash of a hybrid torrent carries it (always v1 otherwise). */
  hash: 'v1' | 'v2';
}

/** The peer does not announce in this round (it is stopped). */
export interface PauseStep {
  kind: 'pause';
}

export type LoadStep = AnnounceStep | PauseStep;

export interface LoadPeer {
  index: number;
  user: number;
  torrent: number;
  peerId: Buffer;
  proto: 'http' | 'udp';
  /** HTTP peers only: `?passkey=` instead of `/<passkey>/announce`. */
  passkeyInQuery: boolean;
  steps: LoadStep[];
  /** Index of the next step to send (a failed announce is sent again in a later round). */
  next: number;
}

/** The round (0-based) in which stop-and-start peers send `stopped`; they start at +3. */
export const STOP_ROUND = 9;

/**
 * `peers` simulated peers over `users` users and LOAD_TORRENTS, grouped by `g = floor(i / 10)`:
 * - g % 5 = 1: `stopped` in round STOP_ROUND, two rounds away, then `started` again (odd g with
 *   the counters the client kept, even g with counters from zero);
 * - g % 5 = 3: one client restart (`started` with counters lower than before) at a random step;
 * - g % 3 ≠ 0: the last step is `stopped`; the others are still active at the end;
 * - HTTP for even g, UDP (BEP 41 URL data) for odd g; hybrid peers announce the v1 hash, the
 *   v2 hash, or the two in turn, by g % 3.
 * Leechers send `completed` on the announce that brings `left` to 0.
 */
export function makeLoadPeers(seed: number, users: number, peers: number): LoadPeer[] {
  const rnd = mulberry32(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const k = LOAD_TORRENTS.length;
  const out: LoadPeer[] = [];
  for (let i = 0; i < peers; i++) {
    const g = Math.floor(i / k);
    const torrent = i % k;
    const t = LOAD_TORRENTS[torrent]!;
    const peerId = Buffer.alloc(20);
    peerId.write(`-LT${String(i).padStart(4, '0')}-`, 'latin1');
    for (let b = 8; b < 20; b++) peerId[b] = int(256);
    const length = 16 + int(9);
    const stopStart = g % 5 === 1;
    const keepsCounters = g % 2 === 1;
    const restartAt = g % 5 === 3 ? 3 + int(length - 5) : -1;
    const stopsAtEnd = g % 3 !== 0;
    const hashMode = g % 3;
    const seeder = rnd() < 0.25;
    let uploaded = int(5_000_000);
    let downloaded = seeder ? 0 : int(t.size / 4);
    let left = seeder ? 0 : t.size - downloaded;
    const steps: LoadStep[] = [];
    const grow = (): void => {
      uploaded += rnd() < 0.2 ? 0 : 1 + int(2_000_000);
      if (left > 0) {
        const d = Math.min(left, 1 + int(t.size / 5));
        downloaded += d;
        left -= d;
      }
    };
    const announce = (s: number, event: LoadEvent): AnnounceStep => ({
      kind: 'announce',
      event,
      uploaded,
      downloaded,
      left,
      hash: !t.hybrid || hashMode === 1 ? 'v1' : hashMode === 2 ? 'v2' : s % 2 === 0 ? 'v1' : 'v2',
    });
    for (let s = 0; s < length; s++) {
      if (s === 0) {
        steps.push(announce(s, 'started'));
      } else if (stopStart && s === STOP_ROUND) {
        grow();
        steps.push(announce(s, 'stopped'));
      } else if (stopStart && s > STOP_ROUND && s < STOP_ROUND + 3) {
        steps.push({ kind: 'pause' });
      } else if (stopStart && s === STOP_ROUND + 3) {
        if (!keepsCounters) {
          uploaded = 0;
          downloaded = 0;
        }
        grow();
        steps.push(announce(s, 'started'));
      } else if (s === restartAt) {
        uploaded = int(1000);
        downloaded = int(1000);
        steps.push(announce(s, 'started'));
      } else if (s === length - 1 && stopsAtEnd) {
        grow();
        steps.push(announce(s, 'stopped'));
      } else {
        const wasLeeching = left > 0;
        grow();
        steps.push(announce(s, wasLeeching && left === 0 ? 'completed' : ''));
      }
    }
    out.push({
      index: i,
      user: (i * 7 + g) % users,
      torrent,
      peerId,
      proto: g % 2 === 0 ? 'http' : 'udp',
      passkeyInQuery: g % 4 === 2,
      steps,
      next: 0,
    });
  }
  return out;
}
