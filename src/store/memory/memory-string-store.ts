import type { StringStore } from '../string-store.js';

/** The embedded StringStore: a JavaScript Set, which keeps any string exactly. */
export class MemoryStringStore implements StringStore {
  private readonly set = new Set<string>();

  put(value: string): void {
    this.set.add(value);
  }

  has(value: string): boolean {
    return this.set.has(value);
  }

  remove(value: string): boolean {
    return this.set.delete(value);
  }

  count(): number {
    return this.set.size;
  }

  list(): string[] {
    return [...this.set];
  }

  close(): Promise<void> {
    this.set.clear();
    return Promise.resolve();
  }
}
