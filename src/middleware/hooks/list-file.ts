import { readFile } from 'node:fs/promises';

/** One entry of a list file, with its line number for error messages. */
export interface ListLine {
  line: number;
  text: string;
}

/**
 * Reads a list file: one entry per line; blank lines and lines starting with `#` are skipped,
 * as is anything after ` #` on a line; surrounding whitespace is trimmed.
 */
export async function readListFile(path: string): Promise<ListLine[]> {
  const text = await readFile(path, 'utf8');
  const out: ListLine[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let s = lines[i]!;
    const hash = s.indexOf(' #');
    if (hash >= 0) s = s.slice(0, hash);
    s = s.trim();
    if (s === '' || s.startsWith('#')) continue;
    out.push({ line: i + 1, text: s });
  }
  return out;
}
