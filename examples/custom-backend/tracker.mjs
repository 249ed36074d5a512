#!/usr/bin/env node
// A custom Shoal binary: a private tracker whose users and torrents come from this script's
// own backend driver (here a small in-memory one) instead of PostgreSQL.
//
//   npm run build                       # in the Shoal checkout: builds ../../dist
//   node examples/custom-backend/tracker.mjs --config examples/custom-backend/shoal.yaml
//
// A real driver would read your site's database or API. Announce with a passkey from USERS:
//   http://127.0.0.1:6969/alice-passkey/announce
import { createHash } from 'node:crypto';
import { backendDrivers, boot } from '../../dist/index.js';

/** Users and torrents as the site would have them. */
const USERS = [
  { passkey: 'alice-passkey', canLeech: true, enabled: true },
  { passkey: 'leech-banned-passkey', canLeech: false, enabled: true },
];
const TORRENTS = [
  // Info hashes as 40 hex digits (v1 SHA-1).
  { infoHash: 'aa'.repeat(20), downloadFactor: 1, uploadFactor: 1 },
  { infoHash: 'bb'.repeat(20), downloadFactor: 0, uploadFactor: 1 }, // freeleech
];

/** A BackendConnection over arrays in memory; recordAnnounce adds credited totals. */
class MemoryBackend {
  constructor(options) {
    this.users = (options.users ?? USERS).map((u, i) => ({
      id: i + 1,
      passkey: u.passkey,
      key: createHash('md5').update(u.passkey, 'utf8').digest(),
      uploaded: 0,
      downloaded: 0,
      canLeech: u.canLeech ?? true,
      enabled: u.enabled ?? true,
    }));
    this.torrents = TORRENTS.map((t, i) => ({
      id: i + 1,
      infoHash: Buffer.from(t.infoHash, 'hex'),
      infoHashV2: null,
      downloadFactor: t.downloadFactor,
      uploadFactor: t.uploadFactor,
      seeders: 0,
      leechers: 0,
      snatches: 0,
    }));
  }
  async ping() {}
  async close() {}
  async recordAnnounce(batch) {
    for (const d of batch) {
      const u = this.users.find((x) => x.key.equals(d.userKey));
      if (u === undefined) continue;
      u.uploaded += d.uploaded;
      u.downloaded += d.downloaded;
    }
  }
  async loadUsers(ids) {
    return ids === undefined ? this.users : this.users.filter((u) => ids.includes(u.id));
  }
  async loadTorrents(ids) {
    return ids === undefined ? this.torrents : this.torrents.filter((t) => ids.includes(t.id));
  }
  async getUserByPasskey(passkey) {
    return this.users.find((u) => u.passkey === passkey) ?? null;
  }
  async getTorrentByInfoHash(infoHash) {
    return this.torrents.find((t) => t.infoHash.equals(infoHash)) ?? null;
  }
  async addUser(user) {
    const u = {
      id: this.users.length + 1,
      passkey: user.passkey,
      key: createHash('md5').update(user.passkey, 'utf8').digest(),
      uploaded: 0,
      downloaded: 0,
      canLeech: user.canLeech ?? true,
      enabled: user.enabled ?? true,
    };
    this.users.push(u);
    return u;
  }
  async deleteUser(id) {
    const n = this.users.length;
    this.users = this.users.filter((u) => u.id !== id);
    return this.users.length < n;
  }
  async addTorrent(t) {
    const r = {
      id: this.torrents.length + 1,
      infoHash: t.infoHash,
      infoHashV2: t.infoHashV2 ?? null,
      downloadFactor: t.downloadFactor ?? 1,
      uploadFactor: t.uploadFactor ?? 1,
      seeders: 0,
      leechers: 0,
      snatches: 0,
    };
    this.torrents.push(r);
    return r;
  }
  async deleteTorrent(id) {
    const n = this.torrents.length;
    this.torrents = this.torrents.filter((t) => t.id !== id);
    return this.torrents.length < n;
  }
}

// The driver: checks its options (naming a bad one), then opens a connection.
backendDrivers.register('memory-example', {
  async open(options, ctx) {
    for (const k of Object.keys(options)) {
      if (k !== 'users') throw new Error(`unknown option: ${k}`);
    }
    ctx.log.info('memory-example backend opened');
    return new MemoryBackend(options);
  },
});

// Same command line as `shoal`: --config, --check, --workers... Signals stop it cleanly.
await boot();
