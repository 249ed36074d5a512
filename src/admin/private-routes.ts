import { ShoalError } from '../bittorrent/errors.js';
import type {
  BackendConnection,
  TorrentChanges,
  TorrentRecord,
  UserRecord,
} from '../backend/backend.js';
import type { Directory } from '../backend/directory.js';
import { AdminError } from './admin-route.js';
import type { AdminReply, AdminRequest, AdminRoute, AdminRouteModule } from './admin-route.js';
import { PRIVATE_OPENAPI_PATHS } from './private-routes-openapi.js';
import {
  bodyOf,
  factorsOf,
  generatePasskey,
  hashParam,
  idOf,
  newTorrentBody,
  newUserBody,
  page,
  pageOf,
  PASSKEY,
  rotateBody,
  torrentJson,
  torrentPatchBody,
  userJson,
  userPatchBody,
} from './private-route-input.js';

const notFound = (what: string): AdminError =>
  new AdminError(404, 'SHOAL_E_ADMIN_NOT_FOUND', `no ${what}`);

/**
 * Users and torrents of a private tracker (issue 7): changes go to the backend (the site's
 * database), then the Directory reloads the changed row at once, so the next announce sees
 * them without waiting for the database's change notification. Every change is logged.
 */
export function privateRoutes(backend: BackendConnection, directory: Directory): AdminRouteModule {
  /** Runs a backend call; its failures become 409 (duplicate), 501 (noop) or 503. */
  async function call<T>(req: AdminRequest, what: string, p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      const code = err instanceof ShoalError ? err.code : '';
      if (code === 'SHOAL_E_BACKEND_CONFLICT') {
        throw new AdminError(409, 'SHOAL_E_ADMIN_CONFLICT', `${what}: ${(err as Error).message}`);
      }
      if (code === 'SHOAL_E_BACKEND_NOOP') {
        throw new AdminError(501, 'SHOAL_E_ADMIN_UNSUPPORTED', (err as Error).message);
      }
      req.log.error({ err, code: 'SHOAL_E_ADMIN_BACKEND' }, `admin: ${what} failed`);
      throw new AdminError(
        503,
        'SHOAL_E_ADMIN_BACKEND',
        `${what}: the backend failed: ${(err as Error).message}`,
      );
    }
  }

  /** Reloads the row in the Directory; a failure is logged (the database notification follows). */
  async function refresh(req: AdminRequest, kind: 'user' | 'torrent', id: number): Promise<void> {
    try {
      await directory.refreshRow({ kind, id });
    } catch (err) {
      req.log.warn(
        { err, code: 'SHOAL_W_ADMIN_REFRESH', kind, id },
        'admin: the change is in the backend but reloading it failed; announces see it on the next refresh',
      );
    }
  }

  function unsupported(what: string): AdminError {
    return new AdminError(
      501,
      'SHOAL_E_ADMIN_UNSUPPORTED',
      `the backend cannot ${what} (no ${what === 'change users' ? 'updateUser' : 'updateTorrent'})`,
    );
  }

  async function userById(req: AdminRequest, id: number): Promise<UserRecord> {
    const [u] = await call(req, 'loading a user', backend.loadUsers([id]));
    if (u === undefined) throw notFound(`user with id ${id}`);
    return u;
  }

  async function torrentById(req: AdminRequest, id: number): Promise<TorrentRecord> {
    const [t] = await call(req, 'loading a torrent', backend.loadTorrents([id]));
    if (t === undefined) throw notFound(`torrent with id ${id}`);
    return t;
  }

  /** 409 when `hash` is a hash of a torrent other than `exceptId`. */
  async function hashFree(req: AdminRequest, hash: Buffer, exceptId: number): Promise<void> {
    const t = await call(req, 'finding a torrent', backend.getTorrentByInfoHash(hash));
    if (t !== null && t.id !== exceptId) {
      throw new AdminError(
        409,
        'SHOAL_E_ADMIN_CONFLICT',
        `info hash ${hash.toString('hex')} is already torrent ${t.id}'s`,
      );
    }
  }

  const ok = (json: unknown, status = 200): AdminReply => ({ status, json });

  const routes: AdminRoute[] = [
    {
      method: 'GET',
      path: '/api/users',
      auth: true,
      handler: async (req) => {
        const p = pageOf(req);
        const all = await call(req, 'loading users', backend.loadUsers());
        const { items, next } = page(all, p);
        return ok({ users: items.map(userJson), next });
      },
    },
    {
      method: 'POST',
      path: '/api/users',
      auth: true,
      handler: async (req) => {
        const b = bodyOf(req, newUserBody, true);
        const pk = b.passkey ?? generatePasskey();
        if ((await call(req, 'finding a user', backend.getUserByPasskey(pk))) !== null) {
          throw new AdminError(409, 'SHOAL_E_ADMIN_CONFLICT', 'passkey: another user has it');
        }
        const nu: { passkey: string; enabled?: boolean; canLeech?: boolean } = { passkey: pk };
        if (b.enabled !== undefined) nu.enabled = b.enabled;
        if (b.canLeech !== undefined) nu.canLeech = b.canLeech;
        const u = await call(req, 'adding a user', backend.addUser(nu));
        await refresh(req, 'user', u.id);
        req.log.info(
          {
            admin: 'user-add',
            id: u.id,
            enabled: u.enabled,
            canLeech: u.canLeech,
            generated: b.passkey === undefined,
            from: req.remoteAddress,
          },
          'admin: user added',
        );
        return ok(userJson(u), 201);
      },
    },
    {
      method: 'GET',
      path: '/api/users/{id}',
      auth: true,
      handler: async (req) => ok(userJson(await userById(req, idOf(req)))),
    },
    {
      method: 'GET',
      path: '/api/users/by-passkey/{passkey}',
      auth: true,
      handler: async (req) => {
        const pk = req.params.passkey!;
        if (!PASSKEY.test(pk)) {
          throw new AdminError(400, 'SHOAL_E_ADMIN_PASSKEY', 'passkey: not a valid passkey');
        }
        const u = await call(req, 'finding a user', backend.getUserByPasskey(pk));
        if (u === null) throw notFound('user with that passkey');
        return ok(userJson(u));
      },
    },
    {
      method: 'PATCH',
      path: '/api/users/{id}',
      auth: true,
      handler: async (req) => {
        const id = idOf(req);
        const b = bodyOf(req, userPatchBody);
        if (b.enabled === undefined && b.canLeech === undefined) {
          throw new AdminError(400, 'SHOAL_E_ADMIN_BODY', 'expected enabled and/or canLeech');
        }
        if (backend.updateUser === undefined) throw unsupported('change users');
        const changes: { enabled?: boolean; canLeech?: boolean } = {};
        if (b.enabled !== undefined) changes.enabled = b.enabled;
        if (b.canLeech !== undefined) changes.canLeech = b.canLeech;
        const u = await call(req, 'changing a user', backend.updateUser(id, changes));
        if (u === null) throw notFound(`user with id ${id}`);
        await refresh(req, 'user', id);
        req.log.info(
          { admin: 'user-change', id, ...changes, from: req.remoteAddress },
          'admin: user changed',
        );
        return ok(userJson(u));
      },
    },
    {
      method: 'POST',
      path: '/api/users/{id}/passkey',
      auth: true,
      handler: async (req) => {
        const id = idOf(req);
        const b = bodyOf(req, rotateBody, true);
        if (backend.updateUser === undefined) throw unsupported('change users');
        const pk = b.passkey ?? generatePasskey();
        const holder = await call(req, 'finding a user', backend.getUserByPasskey(pk));
        if (holder !== null && holder.id !== id) {
          throw new AdminError(409, 'SHOAL_E_ADMIN_CONFLICT', 'passkey: another user has it');
        }
        const u = await call(req, 'rotating a passkey', backend.updateUser(id, { passkey: pk }));
        if (u === null) throw notFound(`user with id ${id}`);
        await refresh(req, 'user', id);
        req.log.info(
          {
            admin: 'user-passkey',
            id,
            generated: b.passkey === undefined,
            from: req.remoteAddress,
          },
          'admin: passkey rotated',
        );
        return ok(userJson(u));
      },
    },
    {
      method: 'DELETE',
      path: '/api/users/{id}',
      auth: true,
      handler: async (req) => {
        const id = idOf(req);
        if (!(await call(req, 'deleting a user', backend.deleteUser(id)))) {
          throw notFound(`user with id ${id}`);
        }
        await refresh(req, 'user', id);
        req.log.info({ admin: 'user-delete', id, from: req.remoteAddress }, 'admin: user deleted');
        return ok({ deleted: true, id });
      },
    },
    {
      method: 'GET',
      path: '/api/torrents',
      auth: true,
      handler: async (req) => {
        const p = pageOf(req);
        const all = await call(req, 'loading torrents', backend.loadTorrents());
        const { items, next } = page(all, p);
        return ok({ torrents: items.map(torrentJson), next });
      },
    },
    {
      method: 'POST',
      path: '/api/torrents',
      auth: true,
      handler: async (req) => {
        const b = bodyOf(req, newTorrentBody);
        const infoHash = Buffer.from(b.infoHash, 'hex');
        const v2 = b.infoHashV2 == null ? null : Buffer.from(b.infoHashV2, 'hex');
        if (v2 !== null && v2.equals(infoHash)) {
          throw new AdminError(400, 'SHOAL_E_ADMIN_BODY', 'infoHashV2: same as infoHash');
        }
        await hashFree(req, infoHash, 0);
        if (v2 !== null) await hashFree(req, v2, 0);
        const t = await call(
          req,
          'adding a torrent',
          backend.addTorrent({ infoHash, infoHashV2: v2, ...factorsOf(b) }),
        );
        await refresh(req, 'torrent', t.id);
        req.log.info(
          {
            admin: 'torrent-add',
            id: t.id,
            infoHash: b.infoHash.toLowerCase(),
            infoHashV2: v2?.toString('hex') ?? null,
            downloadFactor: t.downloadFactor,
            uploadFactor: t.uploadFactor,
            from: req.remoteAddress,
          },
          'admin: torrent registered',
        );
        return ok(torrentJson(t), 201);
      },
    },
    {
      method: 'GET',
      path: '/api/torrents/{id}',
      auth: true,
      handler: async (req) => ok(torrentJson(await torrentById(req, idOf(req)))),
    },
    {
      method: 'GET',
      path: '/api/torrents/by-hash/{infoHash}',
      auth: true,
      handler: async (req) => {
        const hash = hashParam(req.params.infoHash!);
        const t = await call(req, 'finding a torrent', backend.getTorrentByInfoHash(hash));
        if (t === null) throw notFound(`torrent with info hash ${hash.toString('hex')}`);
        return ok(torrentJson(t));
      },
    },
    {
      method: 'PATCH',
      path: '/api/torrents/{id}',
      auth: true,
      handler: async (req) => {
        const id = idOf(req);
        const b = bodyOf(req, torrentPatchBody);
        const changes: TorrentChanges = factorsOf(b);
        if (b.infoHashV2 !== undefined) {
          changes.infoHashV2 = b.infoHashV2 === null ? null : Buffer.from(b.infoHashV2, 'hex');
        }
        if (Object.keys(changes).length === 0) {
          throw new AdminError(
            400,
            'SHOAL_E_ADMIN_BODY',
            'expected preset, downloadFactor, uploadFactor and/or infoHashV2',
          );
        }
        if (backend.updateTorrent === undefined) throw unsupported('change torrents');
        if (changes.infoHashV2 != null) {
          const cur = await torrentById(req, id);
          if (changes.infoHashV2.equals(cur.infoHash)) {
            throw new AdminError(400, 'SHOAL_E_ADMIN_BODY', 'infoHashV2: same as infoHash');
          }
          await hashFree(req, changes.infoHashV2, id);
        }
        const t = await call(req, 'changing a torrent', backend.updateTorrent(id, changes));
        if (t === null) throw notFound(`torrent with id ${id}`);
        await refresh(req, 'torrent', id);
        req.log.info(
          {
            admin: 'torrent-change',
            id,
            downloadFactor: changes.downloadFactor,
            uploadFactor: changes.uploadFactor,
            infoHashV2:
              changes.infoHashV2 === undefined ? undefined : (b.infoHashV2?.toLowerCase() ?? null),
            from: req.remoteAddress,
          },
          'admin: torrent changed',
        );
        return ok(torrentJson(t));
      },
    },
    {
      method: 'DELETE',
      path: '/api/torrents/{id}',
      auth: true,
      handler: async (req) => {
        const id = idOf(req);
        if (!(await call(req, 'deleting a torrent', backend.deleteTorrent(id)))) {
          throw notFound(`torrent with id ${id}`);
        }
        await refresh(req, 'torrent', id);
        req.log.info(
          { admin: 'torrent-delete', id, from: req.remoteAddress },
          'admin: torrent deleted',
        );
        return ok({ deleted: true, id });
      },
    },
  ];
  return { name: 'private', routes, openapi: PRIVATE_OPENAPI_PATHS };
}
