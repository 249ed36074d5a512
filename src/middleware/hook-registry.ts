import { DriverRegistry } from '../store/registry.js';
import type { HookType } from './hook-type.js';

/**
 * Hook types by the name the config file's `hooks: [{ type }]` uses. Built-ins load lazily;
 * `hookTypes.register('my-hook', { create(options, ctx) { ... } })` adds your own.
 */
export const hookTypes = new DriverRegistry<HookType>('hook type');

hookTypes.register(
  'infohash-list',
  async () => (await import('./hooks/infohash-list-hook.js')).infoHashListType,
);
hookTypes.register(
  'client-list',
  async () => (await import('./hooks/client-list-hook.js')).clientListType,
);
hookTypes.register('ip-list', async () => (await import('./hooks/ip-list-hook.js')).ipListType);
