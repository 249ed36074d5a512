import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Temporary directories for tests, all removed by `removeAll()` (call it in `after`). */
export class TempDirs {
  private readonly dirs: string[] = [];

  /** A new empty directory. */
  make(tag: string): string {
    const d = mkdtempSync(join(tmpdir(), `shoal-${tag}-`));
    this.dirs.push(d);
    return d;
  }

  removeAll(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}
