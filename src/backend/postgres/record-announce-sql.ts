/**
 * The statement of one `recordAnnounce` batch. It reads the whole batch from fifteen array
 * parameters (one element per delta), so its text and parameter count never depend on the batch
 * size: PostgreSQL plans it once per connection. It touches a row at most once: deltas are
 * grouped (users, torrents) or deduplicated (peers) in SQL first.
 */

/** The batch as rows; `ord` is the delta's position, later deltas win on duplicate keys. */
export const BATCH = `unnest(
  $1::bytea[], $2::bytea[], $3::bytea[], $4::int8[], $5::int8[], $6::int8[], $7::int8[],
  $8::int8[], $9::int8[], $10::int8[], $11::text[], $12::bool[], $13::bool[], $14::int4[], $15::int4[]
) WITH ORDINALITY AS d(user_key, info_hash, peer_id, up, down, seed_time, rep_up, rep_down,
  lft, last_announce, client, snatched, active, seeders, leechers, ord)`;

/**
 * One batch as ONE statement (its data-modifying CTEs are one atomic unit, like a transaction).
 * Why not BEGIN … COMMIT: `postgres` (3.4.9) runs a transaction on a reserved connection, and
 * when that connection drops mid-transaction its automatic ROLLBACK is written to the dead socket
 * from a setImmediate — an uncaught TypeError that ends the process (porsager/postgres#1208).
 * A single statement runs on a pooled connection, and a drop just rejects it.
 *
 * $16 is the batch id, or null. With an id, `claim` records it; an id already there (the batch
 * was applied before, its acknowledgement lost) leaves `batch` empty, so nothing is applied.
 * A concurrent duplicate blocks on the primary key until the first statement ends, then conflicts.
 *
 * Every part reads the same snapshot and touches a row at most once:
 * - users: credited bytes of registered torrents, one update per user;
 * - peers: the latest delta per (user, torrent, peer) decides; an active peer is upserted with
 *   its reported values and seed time added, an inactive one deleted;
 * - snatches: inserted once per (user, torrent); a torrent's counts come from its latest delta
 *   that knows them (by announce time, then batch order; -1 = unknown, counts left alone), and
 *   its snatch count grows by the snatches that were new.
 */
export const RECORD_BATCH = `
WITH claim AS (
  INSERT INTO shoal_batches (id) SELECT $16::text WHERE $16::text IS NOT NULL
  ON CONFLICT (id) DO NOTHING
  RETURNING id
), batch AS (
  SELECT * FROM ${BATCH}
  WHERE $16::text IS NULL OR EXISTS (SELECT 1 FROM claim)
), credited AS (
  UPDATE users u SET uploaded = u.uploaded + s.up, downloaded = u.downloaded + s.down
  FROM (
    SELECT d.user_key, sum(d.up)::int8 AS up, sum(d.down)::int8 AS down
    FROM batch d
    WHERE EXISTS (SELECT 1 FROM torrents t WHERE t.info_hash = d.info_hash)
    GROUP BY d.user_key
  ) s
  WHERE u.user_key = s.user_key AND (s.up <> 0 OR s.down <> 0)
), latest AS (
  SELECT DISTINCT ON (u.id, t.id, d.peer_id)
    u.id AS user_id, t.id AS torrent_id, d.peer_id, d.rep_up, d.rep_down, d.lft,
    d.last_announce, d.client, d.active,
    sum(d.seed_time) OVER (PARTITION BY u.id, t.id, d.peer_id) AS seed_time
  FROM batch d
  JOIN users u ON u.user_key = d.user_key
  JOIN torrents t ON t.info_hash = d.info_hash
  ORDER BY u.id, t.id, d.peer_id, d.ord DESC
), gone AS (
  DELETE FROM peers p USING latest l
  WHERE NOT l.active AND p.user_id = l.user_id AND p.torrent_id = l.torrent_id AND p.peer_id = l.peer_id
), upserted AS (
  INSERT INTO peers AS p (user_id, torrent_id, peer_id, uploaded, downloaded, "left", seed_time, last_announce, client)
  SELECT user_id, torrent_id, peer_id, rep_up, rep_down, lft, seed_time, to_timestamp(last_announce), client
  FROM latest WHERE active
  ON CONFLICT (user_id, torrent_id, peer_id) DO UPDATE SET
    uploaded = EXCLUDED.uploaded, downloaded = EXCLUDED.downloaded, "left" = EXCLUDED."left",
    seed_time = p.seed_time + EXCLUDED.seed_time, last_announce = EXCLUDED.last_announce,
    client = EXCLUDED.client
), new_snatches AS (
  INSERT INTO snatches (user_id, torrent_id)
  SELECT DISTINCT u.id, t.id
  FROM batch d
  JOIN users u ON u.user_key = d.user_key
  JOIN torrents t ON t.info_hash = d.info_hash
  WHERE d.snatched
  ON CONFLICT DO NOTHING
  RETURNING torrent_id
), counts AS (
  SELECT DISTINCT ON (t.id) t.id, d.seeders, d.leechers
  FROM batch d
  JOIN torrents t ON t.info_hash = d.info_hash
  WHERE d.seeders >= 0 AND d.leechers >= 0
  ORDER BY t.id, d.last_announce DESC, d.ord DESC
), added AS (
  SELECT torrent_id, count(*)::int4 AS n FROM new_snatches GROUP BY torrent_id
), counted AS (
  UPDATE torrents t SET
    seeders = coalesce(x.seeders, t.seeders),
    leechers = coalesce(x.leechers, t.leechers),
    snatches = t.snatches + x.n
  FROM (
    SELECT coalesce(c.id, a.torrent_id) AS id, c.seeders, c.leechers, coalesce(a.n, 0) AS n
    FROM counts c FULL JOIN added a ON a.torrent_id = c.id
  ) x
  WHERE t.id = x.id
)
SELECT ($16::text IS NULL OR EXISTS (SELECT 1 FROM claim)) AS applied`;

/** Forgets batch ids older than the retention ($1 days). */
export const PRUNE_BATCHES = `DELETE FROM shoal_batches WHERE applied_at < now() - make_interval(days => $1)`;
