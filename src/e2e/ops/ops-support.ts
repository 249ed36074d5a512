import type { ShoalConfigInput, Tracker } from '../../index.js';
import { createTracker } from '../../index.js';

/** A token long enough for admin.token. */
export const TOKEN = 'test-admin-token-0123456789';

/** Starts a tracker on loopback ephemeral ports with an admin listener on 127.0.0.1:0. */
export function startOpsTracker(
  extra: Omit<ShoalConfigInput, 'listen' | 'log'> = {},
  admin: NonNullable<ShoalConfigInput['admin']> = { token: TOKEN },
): Promise<Tracker> {
  return createTracker({
    ...extra,
    listen: { http: ['127.0.0.1:0', '[::1]:0'], udp: ['127.0.0.1:0', '[::1]:0'] },
    log: { level: 'silent' },
    admin: { listen: '127.0.0.1:0', processMetrics: false, ...admin },
  });
}

/** The admin listener's base URL. */
export function adminUrl(t: Tracker): string {
  const a = t.adminAddress;
  if (a === null) throw new Error('tracker has no admin listener');
  return `http://127.0.0.1:${a.port}`;
}

/** A JSON request to the admin listener; resolves with status and parsed body. */
export async function adminJson(
  t: Tracker,
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown; rawBody?: string; contentType?: string } = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (opts.rawBody !== undefined) body = opts.rawBody;
  if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = body;
  const res = await fetch(adminUrl(t) + path, init);
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, json, headers: res.headers };
}
