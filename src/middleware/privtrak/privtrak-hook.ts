import type { AnnounceRequest, AnnounceResponse } from '../../bittorrent/announce.js';
import type { Hook } from '../hook.js';
import { Privtrak } from './privtrak.js';
import type { PrivtrakDeps } from './privtrak.js';
import { privtrakOptionsSchema } from './privtrak-options.js';
import type { PrivtrakOptionsInput } from './privtrak-options.js';

/**
 * The accounting pre-hook of a private tracker. `preAnnounce` accounts the announce
 * synchronously (and spools it) or rejects it with a ClientError when too much is pending;
 * `postAnnounce` attaches the swarm counts; `close` sends what is pending.
 * Mount it right after the passkey hook, which has already rejected unknown passkeys.
 */
export class PrivtrakHook implements Hook {
  readonly name: string;
  readonly privtrak: Privtrak;

  constructor(privtrak: Privtrak, name = 'privtrak') {
    this.name = name;
    this.privtrak = privtrak;
  }

  preAnnounce(req: AnnounceRequest): void {
    this.privtrak.record(req);
  }

  postAnnounce(req: AnnounceRequest, res: AnnounceResponse): void {
    this.privtrak.noteSwarm(req, res);
  }

  close(): Promise<void> {
    return this.privtrak.close();
  }
}

/**
 * Builds the privtrak hook from config options (checked by `privtrakOptionsSchema`; a bad one
 * throws a ZodError naming it) and what it works with. Replays the spool before returning.
 */
export function createPrivtrak(
  options: PrivtrakOptionsInput & PrivtrakDeps & { name?: string },
): PrivtrakHook {
  const { handler, torrents, identifier, registry, log, now, timers, name, ...config } = options;
  const deps: PrivtrakDeps = { handler, torrents };
  if (identifier !== undefined) deps.identifier = identifier;
  if (registry !== undefined) deps.registry = registry;
  if (log !== undefined) deps.log = log;
  if (now !== undefined) deps.now = now;
  if (timers !== undefined) deps.timers = timers;
  return new PrivtrakHook(Privtrak.open(privtrakOptionsSchema.parse(config), deps), name);
}
