import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../config/config.js';
import type { ShoalConfig } from '../config/config.js';

/**
 * The admin token from `admin.token`, `admin.tokenFile` (first line, relative to `baseDir`)
 * or `admin.tokenEnv` (the variable's value); null when none is configured (API off).
 * A file or variable that is missing, empty or too short is a ConfigError naming the key.
 */
export function resolveAdminToken(
  admin: NonNullable<ShoalConfig['admin']>,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  let token: string;
  let key: string;
  if (admin.token !== undefined) return admin.token;
  if (admin.tokenFile !== undefined) {
    key = 'admin.tokenFile';
    try {
      token = (readFileSync(resolve(baseDir, admin.tokenFile), 'utf8').split('\n')[0] ?? '').trim();
    } catch (err) {
      throw new ConfigError(`${key}: cannot read ${admin.tokenFile}: ${(err as Error).message}`);
    }
  } else if (admin.tokenEnv !== undefined) {
    key = 'admin.tokenEnv';
    token = (env[admin.tokenEnv] ?? '').trim();
    if (token === '') throw new ConfigError(`${key}: ${admin.tokenEnv} is not set or empty`);
  } else {
    return null;
  }
  if (token.length < 16) throw new ConfigError(`${key}: the token needs at least 16 characters`);
  return token;
}
