import type { Logger } from '../log/logger.js';
import type { IPStore } from '../store/ip-store.js';
import type { StringStore } from '../store/string-store.js';
import type { Hook } from './hook.js';

/** What a hook type is given to build a hook. */
export interface HookContext {
  /** The hook's name: its `name` in the config, else its type. Unique per tracker. */
  readonly name: string;
  readonly log: Logger;
  /** Directory that relative file names in the hook's options are resolved against. */
  readonly baseDir: string;
  /**
   * A StringStore from the configured `storage.strings` driver, in its own namespace (default:
   * the hook's name). The tracker closes it at shutdown.
   */
  openStringStore(namespace?: string): Promise<StringStore>;
  /** An IPStore from the configured `storage.ips` driver; as openStringStore. */
  openIPStore(namespace?: string): Promise<IPStore>;
}

/**
 * A kind of hook that the config file can name in `hooks: [{ type: ... }]`. Register your own
 * with `hookTypes.register(type, hookType)` before starting the tracker.
 */
export interface HookType {
  /**
   * Checks the entry's options (every key but `type` and `name`) and throws an Error naming the
   * bad one. Called by `shoal --check` and before `create`.
   */
  check?(options: Readonly<Record<string, unknown>>): void;
  /** Builds the hook. Throws (or rejects) if it cannot start; the tracker then does not start. */
  create(options: Readonly<Record<string, unknown>>, ctx: HookContext): Hook | Promise<Hook>;
}
