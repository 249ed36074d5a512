/**
 * The PostgreSQL schema, as numbered migrations applied in order by `shoal db migrate`.
 * Statements are unqualified: the runner sets `search_path` to the configured schema
 * (default `shoal`), so tests can use a schema of their own. Never edit a released migration;
 * add the next one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users, torrents, peers, snatches',
    sql: `
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  passkey text NOT NULL UNIQUE CHECK (length(passkey) BETWEEN 1 AND 128),
  -- privtrak's 16-byte user ID: MD5 of the passkey's UTF-8 bytes (an identifier, not a secret).
  user_key bytea GENERATED ALWAYS AS (decode(md5(passkey), 'hex')) STORED UNIQUE,
  uploaded bigint NOT NULL DEFAULT 0,
  downloaded bigint NOT NULL DEFAULT 0,
  can_leech boolean NOT NULL DEFAULT true,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE torrents (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  info_hash bytea NOT NULL UNIQUE CHECK (length(info_hash) = 20),
  info_hash_v2 bytea UNIQUE CHECK (length(info_hash_v2) = 20),
  seeders integer NOT NULL DEFAULT 0,
  leechers integer NOT NULL DEFAULT 0,
  snatches integer NOT NULL DEFAULT 0,
  download_factor numeric(6,3) NOT NULL DEFAULT 1 CHECK (download_factor >= 0),
  upload_factor numeric(6,3) NOT NULL DEFAULT 1 CHECK (upload_factor >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE peers (
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  torrent_id bigint NOT NULL REFERENCES torrents (id) ON DELETE CASCADE,
  peer_id bytea NOT NULL CHECK (length(peer_id) = 20),
  uploaded bigint NOT NULL DEFAULT 0,
  downloaded bigint NOT NULL DEFAULT 0,
  "left" bigint NOT NULL DEFAULT 0,
  seed_time bigint NOT NULL DEFAULT 0,
  last_announce timestamptz NOT NULL DEFAULT now(),
  client text NOT NULL DEFAULT '',
  PRIMARY KEY (user_id, torrent_id, peer_id)
);
CREATE INDEX peers_torrent ON peers (torrent_id);

CREATE TABLE snatches (
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  torrent_id bigint NOT NULL REFERENCES torrents (id) ON DELETE CASCADE,
  snatched_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, torrent_id)
);

-- The tracker keeps users and torrents in memory and reloads a row when told. The channel is
-- "<schema>.users" / "<schema>.torrents"; the payload is the row id. Changes the tracker
-- makes itself (totals, counts) do not notify: only what the site changes does.
CREATE FUNCTION notify_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '.users', OLD.id::text);
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' OR NEW.passkey IS DISTINCT FROM OLD.passkey
     OR NEW.can_leech IS DISTINCT FROM OLD.can_leech OR NEW.enabled IS DISTINCT FROM OLD.enabled THEN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '.users', NEW.id::text);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER users_notify AFTER INSERT OR UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION notify_user_change();

CREATE FUNCTION notify_torrent_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '.torrents', OLD.id::text);
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' OR NEW.info_hash IS DISTINCT FROM OLD.info_hash
     OR NEW.info_hash_v2 IS DISTINCT FROM OLD.info_hash_v2
     OR NEW.download_factor IS DISTINCT FROM OLD.download_factor
     OR NEW.upload_factor IS DISTINCT FROM OLD.upload_factor THEN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '.torrents', NEW.id::text);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER torrents_notify AFTER INSERT OR UPDATE OR DELETE ON torrents
  FOR EACH ROW EXECUTE FUNCTION notify_torrent_change();
`,
  },
  {
    version: 2,
    name: 'batch ids (each recordAnnounce batch applied once)',
    sql: `
-- recordAnnounce(batch, batchId) records the id in the batch's own transaction and skips an id
-- it already has: a batch retried after a lost acknowledgement is not counted twice.
-- Ids older than the backend's batchRetentionDays are deleted.
CREATE TABLE shoal_batches (
  id text PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shoal_batches_applied_at ON shoal_batches (applied_at);
`,
  },
];
