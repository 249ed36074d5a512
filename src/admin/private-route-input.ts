import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { TorrentRecord, UserRecord } from '../backend/backend.js';
import { AdminError } from './admin-route.js';
import type { AdminRequest } from './admin-route.js';

/*
 * Input and output of the private-mode admin routes (private-routes.ts): body schemas, path
 * and query parameters, and the JSON shapes of users and torrents.
 */

/** A passkey as it can travel in an announce path (`/<passkey>/announce`, also over WebSocket). */
export const PASSKEY = /^[A-Za-z0-9_-]{1,128}$/;
const HEX40 = /^[0-9a-fA-F]{40}$/;
/** Factors are numeric(6,3) in the PostgreSQL schema. */
const MAX_FACTOR = 999;

/**
 * Named factor pairs: freeleech (downloads not counted), neutral (nothing counted), double
 * upload; `normal` restores 1 and 1.
 */
export const FACTOR_PRESETS = {
  normal: { downloadFactor: 1, uploadFactor: 1 },
  freeleech: { downloadFactor: 0, uploadFactor: 1 },
  neutral: { downloadFactor: 0, uploadFactor: 0 },
  'double-upload': { downloadFactor: 1, uploadFactor: 2 },
} as const;

/** A new passkey: 32 random hex digits (128 bits). */
export function generatePasskey(): string {
  return randomBytes(16).toString('hex');
}

const passkey = z.string().regex(PASSKEY, 'expected 1 to 128 letters, digits, "-" or "_"');
const hex40 = z.string().regex(HEX40, 'expected 40 hex digits');
const factor = z.number().min(0).max(MAX_FACTOR);
const preset = z.enum(Object.keys(FACTOR_PRESETS) as [keyof typeof FACTOR_PRESETS]);

/** Bodies of the private-mode routes, checked with zod (strict: unknown keys are errors). */
export const newUserBody = z.strictObject({
  passkey: passkey.optional(),
  enabled: z.boolean().optional(),
  canLeech: z.boolean().optional(),
});
export const userPatchBody = z.strictObject({
  enabled: z.boolean().optional(),
  canLeech: z.boolean().optional(),
});
export const rotateBody = z.strictObject({ passkey: passkey.optional() });
const factorFields = {
  downloadFactor: factor.optional(),
  uploadFactor: factor.optional(),
  preset: preset.optional(),
};
export const newTorrentBody = z.strictObject({
  infoHash: hex40,
  infoHashV2: hex40.nullable().optional(),
  ...factorFields,
});
export const torrentPatchBody = z.strictObject({
  infoHashV2: hex40.nullable().optional(),
  ...factorFields,
});

/** The body checked against `schema`; AdminError 400 naming every bad field. */
export function bodyOf<T>(req: AdminRequest, schema: z.ZodType<T>, optional = false): T {
  const body = req.body === undefined && optional ? {} : req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AdminError(400, 'SHOAL_E_ADMIN_BODY', 'expected a JSON object body');
  }
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const msg = r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  throw new AdminError(400, 'SHOAL_E_ADMIN_BODY', msg.join('; '));
}

/** A `{id}` path parameter: a positive integer. */
export function idOf(req: AdminRequest): number {
  const text = req.params.id!;
  const id = Number(text);
  if (!/^[1-9][0-9]{0,15}$/.test(text) || !Number.isSafeInteger(id)) {
    throw new AdminError(
      400,
      'SHOAL_E_ADMIN_ID',
      `id: expected a positive integer, got "${text.slice(0, 64)}"`,
    );
  }
  return id;
}

/** An info hash path parameter: 40 hex digits, else AdminError 400. */
export function hashParam(text: string): Buffer {
  if (!HEX40.test(text)) {
    throw new AdminError(
      400,
      'SHOAL_E_ADMIN_INFOHASH',
      `infoHash: expected 40 hex digits, got "${text.slice(0, 64)}"`,
    );
  }
  return Buffer.from(text, 'hex');
}

/** `limit` (1-1000, default 100) and `after` (an id; the next page starts above it). */
export function pageOf(req: AdminRequest): { limit: number; after: number } {
  const l = req.query.get('limit') ?? '100';
  const a = req.query.get('after') ?? '0';
  const limit = Number(l);
  if (!/^[0-9]{1,4}$/.test(l) || limit < 1 || limit > 1000) {
    throw new AdminError(400, 'SHOAL_E_ADMIN_LIMIT', 'limit: expected 1 to 1000');
  }
  if (!/^[0-9]{1,16}$/.test(a) || !Number.isSafeInteger(Number(a))) {
    throw new AdminError(400, 'SHOAL_E_ADMIN_ID', 'after: expected an id (a whole number)');
  }
  return { limit, after: Number(a) };
}

/** One page of `rows` by id, and the `after` of the next page (null: the last). */
export function page<T extends { id: number }>(
  rows: T[],
  p: { limit: number; after: number },
): { items: T[]; next: number | null } {
  const items = rows
    .filter((r) => r.id > p.after)
    .sort((x, y) => x.id - y.id)
    .slice(0, p.limit + 1);
  const more = items.length > p.limit;
  if (more) items.length = p.limit;
  return { items, next: more ? items[items.length - 1]!.id : null };
}

/** A user as the API shows it. */
export function userJson(u: UserRecord): Record<string, unknown> {
  return {
    id: u.id,
    passkey: u.passkey,
    enabled: u.enabled,
    canLeech: u.canLeech,
    uploaded: u.uploaded,
    downloaded: u.downloaded,
  };
}

/** A torrent as the API shows it: hashes in lower-case hex. */
export function torrentJson(t: TorrentRecord): Record<string, unknown> {
  return {
    id: t.id,
    infoHash: t.infoHash.toString('hex'),
    infoHashV2: t.infoHashV2 === null ? null : t.infoHashV2.toString('hex'),
    downloadFactor: t.downloadFactor,
    uploadFactor: t.uploadFactor,
    seeders: t.seeders,
    leechers: t.leechers,
    snatches: t.snatches,
  };
}

/** The factors a body asks for: a preset, or explicit factors (not both). */
export function factorsOf(b: {
  downloadFactor?: number | undefined;
  uploadFactor?: number | undefined;
  preset?: keyof typeof FACTOR_PRESETS | undefined;
}): { downloadFactor?: number; uploadFactor?: number } {
  if (b.preset !== undefined) {
    if (b.downloadFactor !== undefined || b.uploadFactor !== undefined) {
      throw new AdminError(
        400,
        'SHOAL_E_ADMIN_BODY',
        'preset: give a preset or downloadFactor/uploadFactor, not both',
      );
    }
    return { ...FACTOR_PRESETS[b.preset] };
  }
  const f: { downloadFactor?: number; uploadFactor?: number } = {};
  if (b.downloadFactor !== undefined) f.downloadFactor = b.downloadFactor;
  if (b.uploadFactor !== undefined) f.uploadFactor = b.uploadFactor;
  return f;
}
