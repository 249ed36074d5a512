/** Escapes the glob characters of a SCAN MATCH pattern, so a key prefix matches literally. */
export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}
