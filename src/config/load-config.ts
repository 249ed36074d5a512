import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { ConfigError, parseConfig } from './config.js';
import type { ShoalConfigInput } from './config.js';

/**
 * Reads a YAML (or JSON, which is YAML) config file and validates it (throws ConfigError naming
 * the bad key). Returns the file's own values, to pass to `createTracker`.
 */
export async function loadConfigFile(path: string): Promise<ShoalConfigInput> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (data !== null && data !== undefined && (typeof data !== 'object' || Array.isArray(data))) {
    throw new ConfigError(`config file ${path} must hold a mapping of keys`);
  }
  const input = (data ?? {}) as ShoalConfigInput;
  parseConfig(input);
  return input;
}
