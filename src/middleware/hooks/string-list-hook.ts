import type { StringStore } from '../../store/string-store.js';
import { ListHook } from './list-hook.js';
import type { ListMode } from './list-hook.js';

/** A list kept in a StringStore, its entries already strings (info hashes, client prefixes). */
export abstract class StringListHook extends ListHook<string> {
  readonly store: StringStore;

  constructor(
    name: string,
    mode: ListMode,
    store: StringStore,
    rejections: { notListed: string; listed: string },
  ) {
    super(name, mode, rejections);
    this.store = store;
  }

  protected keyOf(entry: string): string {
    return entry;
  }

  protected addParsed(entry: string): void | Promise<void> {
    return this.store.put(entry);
  }

  protected removeParsed(entry: string): boolean | Promise<boolean> {
    return this.store.remove(entry);
  }
}
