import { resolve } from 'node:path';
import { z } from 'zod';
import { ClientError } from '../../bittorrent/errors.js';
import type { Hook } from '../hook.js';
import type { HookContext, HookType } from '../hook-type.js';
import { readListFile } from './list-file.js';

/** `allow`: only what the list holds passes. `deny`: what the list holds is rejected. */
export type ListMode = 'allow' | 'deny';

/** Options every list hook takes in its `hooks:` entry. */
export const listOptionsSchema = z.strictObject({
  mode: z.enum(['allow', 'deny']),
  /** Seeds the list at start: one entry per line, `#` comments. Relative to the config file. */
  file: z.string().min(1).optional(),
  /** Seeds the list at start, after `file`. */
  entries: z.array(z.string()).default([]),
});

export type ListOptions = z.output<typeof listOptionsSchema>;

/** Validates a list hook's options, each inline entry included; throws naming the bad one. */
export function checkListOptions(
  options: Readonly<Record<string, unknown>>,
  parse: (text: string) => unknown,
): ListOptions {
  const r = listOptionsSchema.safeParse(options);
  if (!r.success) {
    const i = r.error.issues[0]!;
    if (i.code === 'unrecognized_keys') throw new Error(`unknown option: ${i.keys.join(', ')}`);
    throw new Error(`${i.path.join('.') || 'options'}: ${i.message}`);
  }
  r.data.entries.forEach((text, n) => {
    try {
      parse(text.trim());
    } catch (err) {
      throw new Error(`entries.${n}: ${(err as Error).message}`);
    }
  });
  return r.data;
}

/**
 * What the three built-in lists share: a mode, entries written as text (parsed by the
 * subclass), and seeding from a file and inline entries at start. The store itself is public
 * (`store`): a change made through it takes effect from the next announce.
 */
export abstract class ListHook<E> implements Hook {
  readonly name: string;
  readonly mode: ListMode;
  protected readonly allow: boolean;
  /** What a client is told: when an allow-list lacks it, and when a deny-list has it. */
  private readonly rejections: { notListed: string; listed: string };
  /** The list file (absolute), and the entries its last read added, by canonical key. */
  private file: string | null = null;
  private fromFile = new Map<string, E>();

  constructor(name: string, mode: ListMode, rejections: { notListed: string; listed: string }) {
    this.name = name;
    this.mode = mode;
    this.allow = mode === 'allow';
    this.rejections = rejections;
  }

  /** Admits or rejects (ClientError) an announce whose entry is or is not `listed`. */
  protected verdict(listed: boolean): void {
    if (listed !== this.allow) {
      throw new ClientError(this.allow ? this.rejections.notListed : this.rejections.listed);
    }
  }

  /** Parses one entry as written in a file or the config; throws a RangeError if it is bad. */
  abstract parse(text: string): E;
  /** A string equal for two entries exactly when they are the same entry. */
  protected abstract keyOf(entry: E): string;
  protected abstract addParsed(entry: E): void | Promise<void>;
  protected abstract removeParsed(entry: E): boolean | Promise<boolean>;

  /** Adds an entry written as text (a RangeError if it is bad). */
  async add(text: string): Promise<void> {
    await this.addParsed(this.parse(text.trim()));
  }

  /** Removes an entry written as text; false if it was not in the list. */
  async remove(text: string): Promise<boolean> {
    return this.removeParsed(this.parse(text.trim()));
  }

  /** Adds the file's entries, then the inline ones. Errors name the file and line. */
  async seed(options: ListOptions, baseDir: string): Promise<number> {
    let n = 0;
    if (options.file !== undefined) {
      this.file = resolve(baseDir, options.file);
      n += await this.reload();
    }
    for (const text of options.entries) await this.addParsed(this.parse(text.trim()));
    return n + options.entries.length;
  }

  /**
   * Reads the list file again (SIGHUP): adds its entries and removes those that the previous
   * read had and this one has not. Entries added at runtime or inline are left alone. A file
   * with a bad line changes nothing and rejects naming the line. Returns the file's entries.
   */
  async reload(): Promise<number> {
    const path = this.file;
    if (path === null) return 0;
    let lines;
    try {
      lines = await readListFile(path);
    } catch (err) {
      throw new Error(`cannot read list file ${path}: ${(err as Error).message}`, { cause: err });
    }
    const parsed = new Map<string, E>();
    for (const l of lines) {
      try {
        const e = this.parse(l.text);
        parsed.set(this.keyOf(e), e);
      } catch (err) {
        throw new Error(`${path}:${l.line}: ${(err as Error).message}`);
      }
    }
    for (const [key, e] of this.fromFile) if (!parsed.has(key)) await this.removeParsed(e);
    for (const e of parsed.values()) await this.addParsed(e);
    this.fromFile = parsed;
    return parsed.size;
  }
}

/**
 * The hook type of a list: checks options with `parse`, builds the hook with `build` (which
 * opens its store) and seeds it from `file` and `entries`.
 */
export function listHookType<E>(
  parse: (text: string) => E,
  build: (name: string, mode: ListMode, ctx: HookContext) => Promise<ListHook<E>>,
): HookType {
  return {
    check(options) {
      checkListOptions(options, parse);
    },
    async create(options, ctx) {
      const opts = checkListOptions(options, parse);
      const hook = await build(ctx.name, opts.mode, ctx);
      await hook.seed(opts, ctx.baseDir);
      return hook;
    },
  };
}
