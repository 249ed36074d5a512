import type {
  AnnounceDelta,
  BackendConnection,
  BackendDriver,
  NewTorrent,
  NewUser,
  TorrentChanges,
  TorrentRecord,
  UserChanges,
  UserRecord,
} from '../backend.js';
import { ShoalError } from '../../bittorrent/errors.js';

/**
 * The public tracker's backend: no users, no torrents, announces accepted and dropped.
 * Adding a user or torrent is an error (there is nowhere to keep it).
 */
export class NoopBackend implements BackendConnection {
  ping(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  recordAnnounce(_batch: readonly AnnounceDelta[]): Promise<void> {
    return Promise.resolve();
  }
  loadUsers(_ids?: readonly number[]): Promise<UserRecord[]> {
    return Promise.resolve([]);
  }
  loadTorrents(_ids?: readonly number[]): Promise<TorrentRecord[]> {
    return Promise.resolve([]);
  }
  getUserByPasskey(_passkey: string): Promise<UserRecord | null> {
    return Promise.resolve(null);
  }
  getTorrentByInfoHash(_infoHash: Buffer): Promise<TorrentRecord | null> {
    return Promise.resolve(null);
  }
  addUser(_user: NewUser): Promise<UserRecord> {
    return Promise.reject(readOnly());
  }
  deleteUser(_id: number): Promise<boolean> {
    return Promise.resolve(false);
  }
  addTorrent(_torrent: NewTorrent): Promise<TorrentRecord> {
    return Promise.reject(readOnly());
  }
  deleteTorrent(_id: number): Promise<boolean> {
    return Promise.resolve(false);
  }
  /** There is no user to change: null, as for an unknown id. */
  updateUser(_id: number, _changes: UserChanges): Promise<UserRecord | null> {
    return Promise.resolve(null);
  }
  /** There is no torrent to change: null, as for an unknown id. */
  updateTorrent(_id: number, _changes: TorrentChanges): Promise<TorrentRecord | null> {
    return Promise.resolve(null);
  }
}

function readOnly(): ShoalError {
  return new ShoalError('SHOAL_E_BACKEND_NOOP', 'the noop backend keeps no users or torrents');
}

/** `noop`: takes no options. */
export const noopBackend: BackendDriver = {
  open(options) {
    const keys = Object.keys(options);
    if (keys.length > 0) {
      return Promise.reject(
        new Error(`the noop backend takes no options (got: ${keys.join(', ')})`),
      );
    }
    return Promise.resolve(new NoopBackend());
  },
};
