import type { AnnounceRequest, AnnounceResponse } from '../bittorrent/announce.js';

/**
 * A hook: named functions run around every announce.
 * - `preAnnounce` runs in order before the swarm is written; it rejects a request by throwing
 *   a ClientError (its message reaches the client). It may return a promise; the chain awaits
 *   only then, so synchronous hooks keep the announce path synchronous.
 * - `postAnnounce` runs after the reply has been handed to the frontend and never delays it;
 *   its failures are logged, not sent.
 * - `reload` runs on SIGHUP (`Tracker.reload()`): re-read files, refresh caches.
 * - `close` runs once at shutdown, after the frontends have stopped.
 */
export interface Hook {
  readonly name: string;
  preAnnounce?(req: AnnounceRequest): void | Promise<void>;
  postAnnounce?(req: AnnounceRequest, res: AnnounceResponse): void | Promise<void>;
  reload?(): void | Promise<unknown>;
  close?(): void | Promise<void>;
}
