import { ConfigError } from '../config/config.js';
import type { ShoalConfig } from '../config/config.js';
import type { Hook } from './hook.js';
import type { HookContext, HookType } from './hook-type.js';
import { hookTypes } from './hook-registry.js';

type Entry = ShoalConfig['hooks'][number];

function optionsOf(entry: Entry): Record<string, unknown> {
  const options: Record<string, unknown> = { ...entry };
  delete options['type'];
  delete options['name'];
  return options;
}

function where(entry: Entry, i: number): string {
  return `hooks.${i} (${entry.name ?? entry.type})`;
}

async function typeOf(entry: Entry, i: number): Promise<HookType> {
  try {
    return await hookTypes.get(entry.type);
  } catch (err) {
    throw new ConfigError(`${where(entry, i)}: ${(err as Error).message}`, { cause: err });
  }
}

/** Checks every configured hook's type and options (`shoal --check`); throws ConfigError. */
export async function checkConfiguredHooks(entries: readonly Entry[]): Promise<void> {
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const type = await typeOf(entry, i);
    try {
      type.check?.(optionsOf(entry));
    } catch (err) {
      throw new ConfigError(`${where(entry, i)}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/**
 * Builds the configured hooks in order. A hook that fails to build stops the start: the ones
 * already built are closed and the error names the entry.
 */
export async function createConfiguredHooks(
  entries: readonly Entry[],
  contextFor: (name: string) => HookContext,
): Promise<Hook[]> {
  await checkConfiguredHooks(entries);
  const hooks: Hook[] = [];
  try {
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const type = await typeOf(entry, i);
      try {
        hooks.push(await type.create(optionsOf(entry), contextFor(entry.name ?? entry.type)));
      } catch (err) {
        throw new ConfigError(`${where(entry, i)}: ${(err as Error).message}`, { cause: err });
      }
    }
  } catch (err) {
    await Promise.allSettled(hooks.map(async (h) => h.close?.()));
    throw err;
  }
  return hooks;
}
