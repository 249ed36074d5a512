import type { AnnounceRequest } from '../../bittorrent/announce.js';
import { ClientError } from '../../bittorrent/errors.js';
import type { UserRecord } from '../../backend/backend.js';
import type { Directory } from '../../backend/directory.js';
import type { Hook } from '../hook.js';

/**
 * BEP 31 `retry in` for each rejection, in seconds. A missing or unknown passkey or a refused
 * account will not fix itself soon; a torrent just uploaded to the site may reach the tracker
 * within seconds, so its clients are asked back sooner.
 */
export const PASSKEY_RETRY_IN = {
  account: 3600,
  torrent: 60,
} as const;

/**
 * Private mode's first pre-hook: the request's passkey must belong to an enabled user, its info
 * hash to a registered torrent, and a leecher (`left` > 0) to a user allowed to download.
 * Reads only the in-memory Directory: synchronous, no database query per announce.
 */
export class PasskeyHook implements Hook {
  readonly name = 'passkey';
  private readonly directory: Directory;

  constructor(directory: Directory) {
    this.directory = directory;
  }

  preAnnounce(req: AnnounceRequest): void {
    const user = this.checkPasskey(req.passkey);
    if (this.directory.torrentByInfoHash(req.infoHashKey) === undefined) {
      throw new ClientError('torrent not registered with this tracker', PASSKEY_RETRY_IN.torrent);
    }
    if (req.left > 0 && !user.canLeech) {
      throw new ClientError(
        'your account may not download: seeding is still allowed',
        PASSKEY_RETRY_IN.account,
      );
    }
  }

  /**
   * The passkey's user; throws the ClientError for a missing, unknown or disabled passkey.
   * Scrapes (which run no hooks) are checked with it too.
   */
  checkPasskey(passkey: string): UserRecord {
    if (passkey === '') {
      throw new ClientError(
        'passkey required: use the announce URL from your account page',
        PASSKEY_RETRY_IN.account,
      );
    }
    const user = this.directory.userByPasskey(passkey);
    if (user === undefined) throw new ClientError('unknown passkey', PASSKEY_RETRY_IN.account);
    if (!user.enabled) throw new ClientError('account disabled', PASSKEY_RETRY_IN.account);
    return user;
  }
}
