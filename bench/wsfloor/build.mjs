// Builds bench/wsfloor/wsfloor.c into build/wsfloor when it is missing or older than the source.
// `node bench/wsfloor/build.mjs` prints the binary's path; ws-load.js (target `floor`) imports
// buildWsfloor().
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const WSFLOOR_SRC = path.join(HERE, 'wsfloor.c');
export const WSFLOOR_BIN = path.resolve(HERE, '..', '..', 'build', 'wsfloor');

const mtime = (f) => {
  try {
    return statSync(f).mtimeMs;
  } catch {
    return -1;
  }
};

/**
 * The path of an up-to-date wsfloor binary, compiling it with `cc -O2` first if needed; null
 * (with the reason on stderr) when there is no C compiler or the build fails.
 */
export function buildWsfloor() {
  if (mtime(WSFLOOR_BIN) >= mtime(WSFLOOR_SRC)) return WSFLOOR_BIN;
  const cc = process.env.CC ?? 'cc';
  mkdirSync(path.dirname(WSFLOOR_BIN), { recursive: true });
  // Into a temporary name first, so a failed or concurrent build never leaves a broken binary.
  const tmp = `${WSFLOOR_BIN}.${process.pid}.tmp`;
  const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-o', tmp, WSFLOOR_SRC], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.error || r.status !== 0) {
    rmSync(tmp, { force: true });
    console.error(
      `wsfloor: cannot build ${WSFLOOR_SRC} with ${cc}: ${r.error?.message ?? `exit ${r.status}`}`,
    );
    return null;
  }
  renameSync(tmp, WSFLOOR_BIN);
  return WSFLOOR_BIN;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bin = buildWsfloor();
  if (bin === null) process.exit(1);
  console.log(bin);
}
