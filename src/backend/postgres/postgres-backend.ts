import type { Sql } from 'postgres';
import { ShoalError } from '../../bittorrent/errors.js';
import type {
  AnnounceDelta,
  BackendChange,
  BackendConnection,
  BackendContext,
  BackendDriver,
  NewTorrent,
  NewUser,
  TorrentChanges,
  TorrentRecord,
  UserChanges,
  UserRecord,
} from '../backend.js';
import { connectPostgres, describeTarget, parsePostgresOptions } from './postgres-options.js';
import type { PostgresOptions } from './postgres-options.js';
import { MIGRATIONS } from './migrations.js';
import { PRUNE_BATCHES, RECORD_BATCH } from './record-announce-sql.js';

/** Old batch ids are pruned at most this often (ms), after a batch. */
const PRUNE_EVERY_MS = 3600_000;

// Element type OIDs for sql.array (the package needs them to send typed arrays).
const BYTEA = 17;
const INT8 = 20;
const INT4 = 23;
const TEXT = 25;
const BOOL = 16;

const USER_COLUMNS = 'id, passkey, user_key, uploaded, downloaded, can_leech, enabled';
const TORRENT_COLUMNS =
  'id, info_hash, info_hash_v2, download_factor, upload_factor, seeders, leechers, snatches';

interface UserRow {
  id: string;
  passkey: string;
  user_key: Buffer;
  uploaded: string;
  downloaded: string;
  can_leech: boolean;
  enabled: boolean;
}

interface PeerStateRow {
  user_key: Buffer;
  info_hash: Buffer;
  peer_id: Buffer;
  uploaded: string;
  downloaded: string;
  left: string;
  client: string;
  last_announce: string;
  snatched: boolean;
}

interface TorrentRow {
  id: string;
  info_hash: Buffer;
  info_hash_v2: Buffer | null;
  download_factor: string;
  upload_factor: string;
  seeders: number;
  leechers: number;
  snatches: number;
}

// bigint and numeric arrive as strings (exact); totals stay below 2^53 in practice.
function toUser(r: UserRow): UserRecord {
  return {
    id: Number(r.id),
    passkey: r.passkey,
    key: r.user_key,
    uploaded: Number(r.uploaded),
    downloaded: Number(r.downloaded),
    canLeech: r.can_leech,
    enabled: r.enabled,
  };
}

function toTorrent(r: TorrentRow): TorrentRecord {
  return {
    id: Number(r.id),
    infoHash: r.info_hash,
    infoHashV2: r.info_hash_v2,
    downloadFactor: Number(r.download_factor),
    uploadFactor: Number(r.upload_factor),
    seeders: r.seeders,
    leechers: r.leechers,
    snatches: r.snatches,
  };
}

/** PostgreSQL's unique_violation: the passkey or info hash is another row's. */
const UNIQUE_VIOLATION = '23505';

/**
 * Wraps a driver failure with a stable code, keeping the cause: SHOAL_E_BACKEND_CONFLICT for a
 * duplicate passkey or info hash (the caller's input), SHOAL_E_BACKEND otherwise.
 */
function fail(what: string, err: unknown): ShoalError {
  const conflict = (err as { code?: unknown }).code === UNIQUE_VIOLATION;
  return new ShoalError(
    conflict ? 'SHOAL_E_BACKEND_CONFLICT' : 'SHOAL_E_BACKEND',
    `postgres backend: ${what}: ${(err as Error).message}`,
    { cause: err },
  );
}

/** A BackendConnection on one `postgres` pool, in the configured schema. */
export class PostgresBackend implements BackendConnection {
  readonly sql: Sql;
  readonly schema: string;
  private readonly ctx: BackendContext;
  private readonly retentionDays: number;
  private lastPrune = 0;

  constructor(sql: Sql, schema: string, ctx: BackendContext, batchRetentionDays = 30) {
    this.sql = sql;
    this.schema = schema;
    this.ctx = ctx;
    this.retentionDays = batchRetentionDays;
  }

  async ping(): Promise<void> {
    try {
      await this.sql`SELECT 1`;
    } catch (err) {
      throw fail('ping', err);
    }
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }

  /**
   * One statement whatever the batch size, atomic (see RECORD_BATCH in record-announce-sql.ts).
   * Deltas naming a user or torrent the database does not have are dropped by the joins.
   * With a `batchId`, the id is recorded by the same statement and a batch whose id is already
   * there is skipped: a retry after a lost acknowledgement counts once.
   */
  async recordAnnounce(batch: readonly AnnounceDelta[], batchId?: string): Promise<void> {
    if (batch.length === 0) return;
    const sql = this.sql;
    const n = batch.length;
    const userKey = new Array<Buffer>(n);
    const infoHash = new Array<Buffer>(n);
    const peerId = new Array<Buffer>(n);
    const up = new Array<number>(n);
    const down = new Array<number>(n);
    const seedTime = new Array<number>(n);
    const repUp = new Array<number>(n);
    const repDown = new Array<number>(n);
    const left = new Array<number>(n);
    const last = new Array<number>(n);
    const client = new Array<string>(n);
    const snatched = new Array<boolean>(n);
    const active = new Array<boolean>(n);
    const seeders = new Array<number>(n);
    const leechers = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const d = batch[i]!;
      userKey[i] = d.userKey;
      infoHash[i] = d.infoHash;
      peerId[i] = d.peerId;
      up[i] = Math.trunc(d.uploaded);
      down[i] = Math.trunc(d.downloaded);
      seedTime[i] = Math.trunc(d.seedTime);
      repUp[i] = Math.trunc(d.reportedUploaded);
      repDown[i] = Math.trunc(d.reportedDownloaded);
      left[i] = Math.trunc(d.left);
      last[i] = Math.trunc(d.lastAnnounce);
      // PostgreSQL text cannot hold NUL; a peer_id prefix is printable by contract anyway.
      client[i] = d.client.includes('\0') ? d.client.replaceAll('\0', '') : d.client;
      snatched[i] = d.snatched;
      active[i] = d.active;
      seeders[i] = d.seeders;
      leechers[i] = d.leechers;
    }
    const params = [
      sql.array(userKey, BYTEA),
      sql.array(infoHash, BYTEA),
      sql.array(peerId, BYTEA),
      sql.array(up, INT8),
      sql.array(down, INT8),
      sql.array(seedTime, INT8),
      sql.array(repUp, INT8),
      sql.array(repDown, INT8),
      sql.array(left, INT8),
      sql.array(last, INT8),
      sql.array(client, TEXT),
      sql.array(snatched, BOOL),
      sql.array(active, BOOL),
      sql.array(seeders, INT4),
      sql.array(leechers, INT4),
      batchId ?? null,
    ];
    try {
      await sql.unsafe(RECORD_BATCH, params, { prepare: true });
    } catch (err) {
      throw fail(`recording a batch of ${n} deltas`, err);
    }
    if (batchId !== undefined && Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
      // Apart from the batch: forgetting old ids is housekeeping, and its failure is not the
      // batch's (which is applied already); it is tried again an interval later.
      this.lastPrune = Date.now();
      try {
        await sql.unsafe(PRUNE_BATCHES, [this.retentionDays], { prepare: true });
      } catch (err) {
        this.ctx.log.warn(
          { err, code: 'SHOAL_E_BACKEND' },
          'postgres backend: cannot prune old batch ids',
        );
      }
    }
  }

  async loadUsers(ids?: readonly number[]): Promise<UserRecord[]> {
    const sql = this.sql;
    try {
      const rows =
        ids === undefined
          ? await sql.unsafe<UserRow[]>(`SELECT ${USER_COLUMNS} FROM users ORDER BY id`)
          : await sql.unsafe<UserRow[]>(
              `SELECT ${USER_COLUMNS} FROM users WHERE id = ANY($1::int8[]) ORDER BY id`,
              [sql.array([...ids], INT8)],
              { prepare: true },
            );
      return rows.map(toUser);
    } catch (err) {
      throw fail('loading users', err);
    }
  }

  async loadTorrents(ids?: readonly number[]): Promise<TorrentRecord[]> {
    const sql = this.sql;
    try {
      const rows =
        ids === undefined
          ? await sql.unsafe<TorrentRow[]>(`SELECT ${TORRENT_COLUMNS} FROM torrents ORDER BY id`)
          : await sql.unsafe<TorrentRow[]>(
              `SELECT ${TORRENT_COLUMNS} FROM torrents WHERE id = ANY($1::int8[]) ORDER BY id`,
              [sql.array([...ids], INT8)],
              { prepare: true },
            );
      return rows.map(toTorrent);
    } catch (err) {
      throw fail('loading torrents', err);
    }
  }

  async loadPeerStates(maxAgeSeconds: number): Promise<AnnounceDelta[]> {
    try {
      const rows = await this.sql.unsafe<PeerStateRow[]>(
        `SELECT u.user_key, t.info_hash, p.peer_id, p.uploaded, p.downloaded, p."left", p.client,
                extract(epoch FROM p.last_announce)::int8 AS last_announce,
                EXISTS (SELECT 1 FROM snatches s
                        WHERE s.user_id = p.user_id AND s.torrent_id = p.torrent_id) AS snatched
           FROM peers p
           JOIN users u ON u.id = p.user_id
           JOIN torrents t ON t.id = p.torrent_id
          WHERE p.last_announce > now() - make_interval(secs => $1)`,
        [maxAgeSeconds],
        { prepare: true },
      );
      return rows.map((r): AnnounceDelta => ({
        userKey: r.user_key,
        infoHash: r.info_hash,
        peerId: r.peer_id,
        uploaded: 0,
        downloaded: 0,
        seedTime: 0,
        reportedUploaded: Number(r.uploaded),
        reportedDownloaded: Number(r.downloaded),
        left: Number(r.left),
        lastAnnounce: Number(r.last_announce),
        client: r.client,
        snatched: r.snatched,
        active: true,
        seeders: -1,
        leechers: -1,
      }));
    } catch (err) {
      throw fail('loading peer states', err);
    }
  }

  async getUserByPasskey(passkey: string): Promise<UserRecord | null> {
    try {
      const rows = await this.sql.unsafe<UserRow[]>(
        `SELECT ${USER_COLUMNS} FROM users WHERE passkey = $1`,
        [passkey],
        { prepare: true },
      );
      return rows[0] === undefined ? null : toUser(rows[0]);
    } catch (err) {
      throw fail('finding a user', err);
    }
  }

  async getTorrentByInfoHash(infoHash: Buffer): Promise<TorrentRecord | null> {
    try {
      const rows = await this.sql.unsafe<TorrentRow[]>(
        `SELECT ${TORRENT_COLUMNS} FROM torrents WHERE info_hash = $1 OR info_hash_v2 = $1`,
        [infoHash],
        { prepare: true },
      );
      return rows[0] === undefined ? null : toTorrent(rows[0]);
    } catch (err) {
      throw fail('finding a torrent', err);
    }
  }

  async addUser(user: NewUser): Promise<UserRecord> {
    try {
      const rows = await this.sql.unsafe<UserRow[]>(
        `INSERT INTO users (passkey, can_leech, enabled) VALUES ($1, $2, $3) RETURNING ${USER_COLUMNS}`,
        [user.passkey, user.canLeech ?? true, user.enabled ?? true],
        { prepare: true },
      );
      return toUser(rows[0]!);
    } catch (err) {
      throw fail('adding a user', err);
    }
  }

  async deleteUser(id: number): Promise<boolean> {
    try {
      const r = await this.sql.unsafe(`DELETE FROM users WHERE id = $1`, [id], { prepare: true });
      return r.count > 0;
    } catch (err) {
      throw fail('deleting a user', err);
    }
  }

  async addTorrent(torrent: NewTorrent): Promise<TorrentRecord> {
    try {
      const rows = await this.sql.unsafe<TorrentRow[]>(
        `INSERT INTO torrents (info_hash, info_hash_v2, download_factor, upload_factor)
         VALUES ($1, $2, $3, $4) RETURNING ${TORRENT_COLUMNS}`,
        [
          torrent.infoHash,
          torrent.infoHashV2 ?? null,
          torrent.downloadFactor ?? 1,
          torrent.uploadFactor ?? 1,
        ],
        { prepare: true },
      );
      return toTorrent(rows[0]!);
    } catch (err) {
      throw fail('adding a torrent', err);
    }
  }

  async deleteTorrent(id: number): Promise<boolean> {
    try {
      const r = await this.sql.unsafe(`DELETE FROM torrents WHERE id = $1`, [id], {
        prepare: true,
      });
      return r.count > 0;
    } catch (err) {
      throw fail('deleting a torrent', err);
    }
  }

  async updateUser(id: number, changes: UserChanges): Promise<UserRecord | null> {
    try {
      // An absent field is NULL here and keeps the column's value.
      const rows = await this.sql.unsafe<UserRow[]>(
        `UPDATE users SET passkey = COALESCE($2::text, passkey),
                          can_leech = COALESCE($3::bool, can_leech),
                          enabled = COALESCE($4::bool, enabled)
          WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [id, changes.passkey ?? null, changes.canLeech ?? null, changes.enabled ?? null],
        { prepare: true },
      );
      return rows[0] === undefined ? null : toUser(rows[0]);
    } catch (err) {
      throw fail('changing a user', err);
    }
  }

  async updateTorrent(id: number, changes: TorrentChanges): Promise<TorrentRecord | null> {
    try {
      // info_hash_v2 may be set to NULL, so whether to touch it is a parameter of its own.
      const rows = await this.sql.unsafe<TorrentRow[]>(
        `UPDATE torrents SET download_factor = COALESCE($2::numeric, download_factor),
                             upload_factor = COALESCE($3::numeric, upload_factor),
                             info_hash_v2 = CASE WHEN $4::bool THEN $5::bytea ELSE info_hash_v2 END
          WHERE id = $1 RETURNING ${TORRENT_COLUMNS}`,
        [
          id,
          changes.downloadFactor ?? null,
          changes.uploadFactor ?? null,
          changes.infoHashV2 !== undefined,
          changes.infoHashV2 ?? null,
        ],
        { prepare: true },
      );
      return rows[0] === undefined ? null : toTorrent(rows[0]);
    } catch (err) {
      throw fail('changing a torrent', err);
    }
  }

  /**
   * LISTEN on "<schema>.users" and "<schema>.torrents" over a dedicated connection that the
   * `postgres` package re-establishes after a drop. `onResync` runs after every reconnect
   * (not the first listen): notifications sent meanwhile are lost, so reload everything.
   */
  async subscribe(
    onChange: (change: BackendChange) => void,
    onResync?: () => void,
  ): Promise<() => Promise<void>> {
    const handlers: Array<() => Promise<void>> = [];
    for (const kind of ['user', 'torrent'] as const) {
      const channel = `${this.schema}.${kind}s`;
      let first = true;
      try {
        const req = await this.sql.listen(
          channel,
          (payload) => {
            const id = Number(payload);
            if (Number.isSafeInteger(id)) onChange({ kind, id });
          },
          () => {
            if (first) first = false;
            else if (kind === 'user') onResync?.(); // once per reconnect, not per channel
          },
        );
        handlers.push(() => req.unlisten());
      } catch (err) {
        await Promise.allSettled(handlers.map(async (h) => h()));
        throw fail(`LISTEN ${channel}`, err);
      }
    }
    this.ctx.log.debug({ schema: this.schema }, 'listening for user and torrent changes');
    return async () => {
      await Promise.allSettled(handlers.map(async (h) => h()));
    };
  }
}

/** Checks the server answers and the schema is migrated; closes the pool on failure. */
async function check(sql: Sql, o: PostgresOptions): Promise<void> {
  let rows;
  try {
    // Also loads the type table, which sql.array needs before the first typed array is sent.
    rows = await sql<{ users: string | null }[]>`SELECT to_regclass('users')::text AS users`;
  } catch (err) {
    throw new ShoalError(
      'SHOAL_E_BACKEND_OPEN',
      `cannot connect to PostgreSQL at ${describeTarget(o)}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (rows[0]?.users === null || rows[0]?.users === undefined) {
    throw new ShoalError(
      'SHOAL_E_BACKEND_OPEN',
      `PostgreSQL at ${describeTarget(o)}: schema "${o.schema}" has no tables; run \`shoal db migrate --config <file>\``,
    );
  }
  const [v] = await sql<
    { v: number | null }[]
  >`SELECT max(version)::int4 AS v FROM schema_migrations`;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
  if ((v?.v ?? 0) < latest) {
    throw new ShoalError(
      'SHOAL_E_BACKEND_OPEN',
      `PostgreSQL at ${describeTarget(o)}: schema "${o.schema}" is at version ${v?.v ?? 0}, this Shoal needs ${latest}; run \`shoal db migrate --config <file>\``,
    );
  }
}

/** `postgres`: one pool; see PostgresOptions for the options. */
export const postgresBackend: BackendDriver = {
  async open(options, ctx) {
    const o = parsePostgresOptions(options);
    const sql = connectPostgres(o);
    try {
      await check(sql, o);
    } catch (err) {
      await sql.end({ timeout: 0 });
      throw err;
    }
    return new PostgresBackend(sql, o.schema, ctx, o.batchRetentionDays);
  },
};
